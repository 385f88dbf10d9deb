"""The check pool: bounded, daemon threads, started on demand, reused."""

from __future__ import annotations

import threading

import pytest

from healthdash.pool import CheckPool


def test_results_and_exceptions_reach_the_caller(pool):
    assert pool.submit(lambda x: x * 2, 21).result(timeout=5) == 42
    with pytest.raises(ZeroDivisionError):
        pool.submit(lambda: 1 / 0).result(timeout=5)


def test_threads_are_daemons_started_on_demand_and_reused(pool):
    for _ in range(20):
        pool.submit(lambda: None).result(timeout=5)
    assert pool.size == 1
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("healthdash-check-"))


def test_never_more_threads_than_max_workers(release):
    pool = CheckPool(3)
    started = threading.Semaphore(0)

    def blocked():
        started.release()
        release.wait()

    futures = [pool.submit(blocked) for _ in range(5)]
    for _ in range(3):
        assert started.acquire(timeout=5)
    assert pool.size == 3
    assert sum(f.running() for f in futures) == 3
    release.set()
    for future in futures:
        future.result(timeout=5)
    assert pool.size == 3


def test_max_workers_must_be_positive():
    with pytest.raises(ValueError):
        CheckPool(0)
