"""The runner: concurrent checks, timeouts, hung checks not restarted, failures reported safely."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time

import pytest

from healthdash.registry import UnknownService
from healthdash.status import CheckResult, Status

SLEEP = 0.3
request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="none")


def sleeper(seconds):
    def check():
        time.sleep(seconds)
    return check


def test_checks_run_concurrently(registry, runner):
    for n in range(6):
        registry.register(f"s{n}", sleeper(SLEEP))
    started = time.monotonic()
    run = runner.run()
    elapsed = time.monotonic() - started
    assert run.status is Status.UP
    assert elapsed < 6 * SLEEP / 2, f"6 checks of {SLEEP}s took {elapsed:.2f}s: not concurrent"
    assert all(r.latency_ms >= SLEEP * 1000 * 0.9 for r in run.results.values())


def test_sync_and_async_results(registry, runner):
    async def async_degraded():
        await asyncio.sleep(0.01)
        return CheckResult.degraded("replica lag", lag_s=3)

    registry.register("sync", lambda: None)
    registry.register("async", async_degraded)
    registry.register("string", lambda: "degraded", critical=False)
    run = runner.run()
    assert {n: r.status for n, r in run.results.items()} == {
        "sync": Status.UP, "async": Status.DEGRADED, "string": Status.DEGRADED,
    }
    assert (run.results["async"].reason, run.results["async"].details) == ("replica lag", {"lag_s": 3})
    assert run.status is Status.DEGRADED


def test_a_check_that_raises_is_down_with_a_safe_reason_and_its_traceback_at_debug(registry, runner, caplog):
    def broken():
        raise RuntimeError("disk on fire\nsecond line")

    registry.register("broken", broken)
    registry.register("fine", lambda: None)
    with caplog.at_level(logging.DEBUG, logger="healthdash.runner"):
        run = runner.run()
    broken_result = run.results["broken"]
    assert (broken_result.status, broken_result.reason) == (Status.DOWN, "RuntimeError: disk on fire")
    assert run.results["fine"].status is Status.UP, "the other checks still run"
    assert run.status is Status.DOWN
    [debug] = [r for r in caplog.records if r.levelno == logging.DEBUG and "broken" in r.getMessage()]
    assert "Traceback (most recent call last)" in debug.getMessage()
    assert 'raise RuntimeError("disk on fire' in debug.getMessage()
    assert all("Traceback" not in r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


def test_a_change_of_status_is_logged_once_without_a_traceback(registry, runner, caplog):
    failing = threading.Event()
    failing.set()

    def flaky():
        if failing.is_set():
            raise ConnectionError("search unreachable")

    registry.register("search", flaky, critical=False)
    registry.register("queue", lambda: None)
    with caplog.at_level(logging.INFO, logger="healthdash.runner"):
        for _ in range(3):
            runner.run()
        failing.clear()
        for _ in range(2):
            runner.run()
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged == [("WARNING", "Health check search is down: ConnectionError: search unreachable"),
                      ("INFO", "Health check search is up again (was down)")]


def test_a_critical_service_going_down_is_an_error(registry, runner, caplog):
    def refused():
        raise ConnectionRefusedError("refused")

    registry.register("database", refused)
    registry.register("replica", lambda: CheckResult.degraded("lagging"))
    with caplog.at_level(logging.INFO, logger="healthdash.runner"):
        runner.run()
        runner.run()
    assert sorted((r.levelname, r.getMessage()) for r in caplog.records) == [
        ("ERROR", "Health check database is down: ConnectionRefusedError: refused"),
        ("WARNING", "Health check replica is degraded: lagging")]


def test_an_invalid_return_value_is_down(registry, runner):
    registry.register("weird", lambda: 42)
    result = runner.run().results["weird"]
    assert result.status is Status.DOWN
    assert result.reason.startswith("InvalidResult: the check returned a int")


def test_a_slow_check_is_down_with_reason_timeout_within_its_timeout(registry, runner, hang):
    registry.register("hung", hang, timeout=0.2)
    registry.register("fine", lambda: None)
    started = time.monotonic()
    run = runner.run()
    assert time.monotonic() - started < 2.0
    assert (run.results["hung"].status, run.results["hung"].reason) == (Status.DOWN, "timeout")
    assert run.results["hung"].latency_ms >= 150
    assert run.results["fine"].status is Status.UP


def test_an_async_check_is_cancelled_at_its_timeout(registry, runner):
    cancelled = threading.Event()

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    registry.register("slow", slow, timeout=0.2)
    assert runner.run().results["slow"].reason == "timeout"
    assert cancelled.wait(5), "the async check was not cancelled, so it would keep its thread"


def test_the_deadline_bounds_the_whole_run(registry, runner, hang):
    registry.register("hung", hang, timeout=30)
    started = time.monotonic()
    run = runner.run(deadline=0.3)
    assert time.monotonic() - started < 3
    assert run.results["hung"].reason == "timeout"


def test_a_hung_check_is_not_started_again(registry, runner, pool, release):
    calls = []

    def hung():
        calls.append(1)
        release.wait()

    registry.register("hung", hung, timeout=0.1)
    first = runner.run()
    threads = pool.size
    later = [runner.run() for _ in range(5)]
    assert len(calls) == 1
    assert pool.size == threads
    assert first.results["hung"].reason == "timeout"
    assert all(r.results["hung"].reason == "timeout" for r in later)
    assert later[-1].results["hung"].details == {"still_running": True}
    release.set()
    deadline = time.monotonic() + 5
    while runner.run().results["hung"].details and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.run().results["hung"].status is Status.UP, "once it ends, it runs again"
    assert len(calls) >= 2


def test_checks_see_the_callers_context(registry, runner):
    registry.register("ctx", lambda: CheckResult.up(request=request_var.get()))
    token = request_var.set("req-123")
    try:
        assert runner.run().results["ctx"].details == {"request": "req-123"}
    finally:
        request_var.reset(token)


def test_only_named_services(registry, runner):
    registry.register("a", lambda: None)
    registry.register("b", lambda: None)
    assert list(runner.run(["b"]).results) == ["b"]
    with pytest.raises(UnknownService):
        runner.run(["nope"])


def test_details_are_made_json_safe_and_redacted(registry, runner):
    registry.register("details", lambda: CheckResult.up(
        url="postgres://app:pw-in-url@db:5432/x", password="hunter2hunter2", nested={"token": "t0k3n-value"},
        items=(1, "two"), when=object,
    ))
    details = runner.run().results["details"].details
    assert details["url"] == "postgres://app:***@db:5432/x"
    assert details["password"] == "***"
    assert details["nested"] == {"token": "***"}
    assert details["items"] == [1, "two"]
    assert details["when"] == "<class 'object'>"
