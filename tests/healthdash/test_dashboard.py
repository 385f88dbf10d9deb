"""The shared dashboard: cached runs, single flight, answers per audience, history, sections."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from healthdash.access import Audience
from healthdash.dashboard import Dashboard, dashboard_for
from healthdash.registry import service_registry
from healthdash.sections import SectionRegistry, section_registry
from healthdash.status import Status


def counting(calls: list, seconds: float = 0.0):
    def check():
        calls.append(threading.get_ident())
        time.sleep(seconds)
    return check


def test_a_run_is_reused_while_fresh(registry, dashboard, healthdash_settings):
    calls = []
    registry.register("counted", counting(calls))
    first = dashboard.current_run()
    assert dashboard.current_run() is first
    assert len(calls) == 1
    healthdash_settings(HEALTH_CACHE_SECONDS=0)
    assert dashboard.current_run() is not first
    assert len(calls) == 2


def test_refresh_runs_again(registry, dashboard):
    calls = []
    registry.register("counted", counting(calls))
    first = dashboard.current_run()
    assert dashboard.current_run(refresh=True) is not first
    assert len(calls) == 2


def test_fifty_concurrent_callers_share_one_run(registry, dashboard):
    calls = []
    for name in ("a", "b", "c"):
        registry.register(name, counting(calls, 0.3))
    barrier = threading.Barrier(50)

    def ask(_):
        barrier.wait(timeout=10)
        return dashboard.answer(Audience.STATUSES)

    with ThreadPoolExecutor(50) as callers:
        answers = list(callers.map(ask, range(50)))
    assert len(calls) == 3, "each check ran once"
    assert len({id(run) for run, _ in answers}) == 1
    assert all(payload["status"] == "up" for _, payload in answers)


def test_answers_are_cached_per_audience(registry, dashboard):
    registry.register("svc", lambda: None, description="Service")
    run, statuses = dashboard.answer(Audience.STATUSES)
    _, detailed = dashboard.answer(Audience.DETAILED)
    assert dashboard.answer(Audience.STATUSES) == (run, statuses)
    assert dashboard.answer(Audience.STATUSES)[1] is statuses
    assert "description" not in statuses["services"]["svc"]
    assert detailed["services"]["svc"]["description"] == "Service"
    assert dashboard.answer(Audience.OVERALL)[1] == {"status": "up"}


def test_history_keeps_the_latest_samples_per_service(registry, sections, runner, healthdash_settings):
    healthdash_settings(HISTORY_SIZE=3, HEALTH_CACHE_SECONDS=0)
    dashboard = Dashboard(registry, sections, runner)
    registry.register("svc", lambda: None)
    runs = [dashboard.current_run() for _ in range(5)]
    samples = dashboard.history.samples("svc")
    assert [s.checked_at for s in samples] == [r.results["svc"].checked_at for r in runs[-3:]]
    assert all(s.status is Status.UP for s in samples)
    assert dashboard.history.names() == ["svc"]
    assert dashboard.latest is runs[-1]


def test_sections_appear_for_their_audience_and_are_absent_when_none(registry, dashboard, sections):
    registry.register("svc", lambda: None)
    assert "providers" not in dashboard.answer(Audience.STATUSES)[1]
    sections.register("providers", lambda detailed: {"count": 1, "detailed": detailed})
    dashboard.clear()
    assert dashboard.answer(Audience.STATUSES)[1]["providers"] == {"count": 1, "detailed": False}
    assert dashboard.answer(Audience.DETAILED)[1]["providers"] == {"count": 1, "detailed": True}
    assert "providers" not in dashboard.answer(Audience.OVERALL)[1]


def test_a_failing_section_is_logged_and_left_out(registry, dashboard, sections, caplog):
    def broken(detailed):
        raise ValueError("no providers")

    sections.register("providers", broken)
    with caplog.at_level(logging.ERROR, logger="healthdash.sections"):
        payload = dashboard.answer(Audience.STATUSES)[1]
    assert "providers" not in payload
    assert "ValueError: no providers" in caplog.text


def test_dashboard_for_shares_one_dashboard_per_registry(registry):
    assert dashboard_for(registry) is dashboard_for(registry)
    assert dashboard_for().registry is service_registry
    assert dashboard_for().sections is section_registry
    assert dashboard_for(registry, SectionRegistry()) is not dashboard_for(registry)
