"""One run of the checks per fleet through the real Redis: dashboards standing for processes share it."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import caches

from healthdash.dashboard import Dashboard
from healthdash.registry import ServiceRegistry
from healthdash.runner import Runner
from healthdash.shared_run import LOCK_KEY, SharedRuns
from healthdash.status import Status
from observability.metrics.setup import prometheus_backend
from tests.healthdash.test_fleet import LOCMEM, redis_caches
from tests.support.processes import free_port

CACHE_SECONDS = 1.0


class Counted:
    """A check that counts its executions and takes `seconds`."""

    def __init__(self, seconds: float = 0.0, status: str = "up"):
        self.calls, self.seconds, self.status = 0, seconds, status
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return self.status


@pytest.fixture
def check():
    return Counted()


@pytest.fixture
def processes(check, pool):
    """``processes(n)``: n dashboards of one registry, each with a runner of its own, as n processes have."""
    registry = ServiceRegistry()
    registry.register("upstream", check, critical=False, timeout=2.0)

    def make(count: int) -> list[Dashboard]:
        return [Dashboard(registry, runner=Runner(registry, pool)) for _ in range(count)]
    return make


@pytest.fixture
def shared(settings, redis_url, healthdash_settings):
    settings.CACHES = redis_caches(redis_url)
    healthdash_settings(HEALTH_CACHE_SECONDS=str(CACHE_SECONDS), HEALTH_DEADLINE="1")
    yield caches["default"]
    caches["default"].clear()


def test_one_process_runs_the_others_serve_its_run(shared, processes, check):
    first, second, third = processes(3)
    runs = [first.current_run(), second.current_run(), third.current_run()]
    assert check.calls == 1
    assert len({run.checked_at for run in runs}) == 1
    assert all(run.results["upstream"].status is Status.UP for run in runs)
    assert second.history.samples("upstream")  # the served run feeds the sparklines too


def test_the_served_run_ages_from_its_real_end(shared, processes, check):
    first, second = processes(2)
    first.current_run()
    time.sleep(CACHE_SECONDS + 0.1)
    second.current_run()  # the fleet's run is too old: a new one
    assert check.calls == 2


def test_concurrent_processes_wait_for_the_one_run(shared, processes, check):
    check.seconds = 0.3
    dashboards = processes(6)
    runs = []
    threads = [threading.Thread(target=lambda d=d: runs.append(d.current_run())) for d in dashboards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert check.calls == 1 and len(runs) == 6
    assert len({run.checked_at for run in runs}) == 1


def test_refresh_runs_again_for_the_whole_fleet(shared, processes, check):
    first, second = processes(2)
    before = first.current_run()
    refreshed = second.current_run(refresh=True)
    assert check.calls == 2 and refreshed.checked_at > before.checked_at
    assert first.current_run(refresh=False).checked_at == before.checked_at  # its own is still young


def test_a_lock_whose_holder_died_expires(shared, processes, check, healthdash_settings):
    healthdash_settings(HEALTH_DEADLINE="0.5")
    shared.add(LOCK_KEY, "a-process-killed-while-running", timeout=1)
    started = time.monotonic()
    run = processes(1)[0].current_run()
    assert run.results["upstream"].status is Status.UP and check.calls == 1
    assert 0.9 < time.monotonic() - started < 10


def test_the_counter_counts_real_executions_only(shared, processes, check, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY}  # a fresh in-memory registry for this test
    for dashboard in processes(3):
        dashboard.current_run()
    metrics = prometheus_backend().registry
    assert metrics.get_sample_value("health_check_runs_total", {"service": "upstream"}) == 1
    assert metrics.get_sample_value("health_service_status", {"service": "upstream", "status": "up"}) == 1


def test_cache_down_each_process_runs_its_own(settings, processes, check, healthdash_settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")
    healthdash_settings(HEALTH_CACHE_SECONDS="5")
    for dashboard in processes(2):
        assert dashboard.current_run().results["upstream"].status is Status.UP
    assert check.calls == 2


def test_local_cache_each_process_runs_its_own_as_before(settings, processes, check):
    settings.CACHES = LOCMEM
    for dashboard in processes(2):
        dashboard.current_run()
        dashboard.current_run()
    assert check.calls == 2


def test_a_run_that_cannot_be_pickled_stays_local(shared, pool):
    registry = ServiceRegistry()
    registry.register("odd", lambda: None, critical=False)
    shared_runs = SharedRuns()
    run = Runner(registry, pool).run()
    object.__setattr__(run.results["odd"], "details", {"lock": threading.Lock()})
    shared_runs.publish(run, 5)
    assert shared_runs.fresh(5) is None and shared_runs.available
