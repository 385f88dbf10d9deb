"""The fleet's record of status changes: compare-and-set per service, damped notifications, writes on change only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthdash.models import ServiceState, Transition
from healthdash.status import ServiceResult, Status
from healthdash.transitions import _observe, latest, record

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


class Clock:
    """Each run a few seconds after the previous one."""

    def __init__(self):
        self.now = START

    def tick(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def result(status: str, at: datetime, name: str = "search", reason: str | None = None) -> ServiceResult:
    return ServiceResult(name=name, status=Status(status), critical=False, latency_ms=1.0, checked_at=at,
                         reason=reason)


def run(clock: Clock, *statuses: str, notify_after: int = 3, **named: str) -> list:
    """One run: `statuses` of the service ``search``, or statuses by service name."""
    at = clock.tick()
    results = [result(s, at) for s in statuses] + [result(s, at, name) for name, s in named.items()]
    return record(results, notify_after=notify_after, history_days=14).due


def changes(service: str = "search") -> list[tuple[str, str]]:
    return [(t.previous, t.status) for t in reversed(latest(service))]


def test_the_first_status_seen_is_where_a_service_starts_not_a_change(clock):
    assert run(clock, "down") == []
    assert changes() == []
    state = ServiceState.objects.get(service="search")
    assert (state.status, state.notified) == ("down", "down")


def test_each_change_is_recorded_once_with_its_reason_and_time(clock):
    run(clock, "up")
    run(clock, "up")
    at = clock.tick()
    record([result("down", at, reason="connection refused")], notify_after=3, history_days=14)
    run(clock, "down")
    run(clock, "degraded")
    assert changes() == [("up", "down"), ("down", "degraded")]
    newest, oldest = latest("search")
    assert (oldest.at, oldest.reason, newest.reason) == (at, "connection refused", "")


def test_a_run_without_a_change_writes_nothing(clock):
    run(clock, database="up", search="up")
    with CaptureQueriesContext(connection) as queries:
        run(clock, database="up", search="up")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_two_processes_seeing_the_same_change_record_it_once(clock):
    run(clock, "up")
    # Both read the row while it said up, then both see down: one UPDATE wins, the other counts its run.
    first, second = ServiceState.objects.get(), ServiceState.objects.get()
    at = clock.tick()
    assert _observe(first, result("down", at), 3, "default") == (True, None)
    assert _observe(second, result("down", at), 3, "default") == (False, None)
    assert changes() == [("up", "down")]
    assert ServiceState.objects.get().streak == 2


def test_a_status_that_held_is_notified_once_and_its_recovery_once(clock):
    run(clock, "up")
    assert run(clock, "down") == []   # the run that first sees it counts as the first of three
    assert run(clock, "down") == []
    [due] = run(clock, "down")
    assert (due.service, due.status, due.previous) == ("search", "down", "up")
    assert due.at == START + timedelta(seconds=10)  # when the fleet first saw it
    assert run(clock, "down") == [] and run(clock, "down") == []
    assert run(clock, "up") == [] and run(clock, "up") == []
    [due] = run(clock, "up")
    assert (due.status, due.previous) == ("up", "down")
    assert changes() == [("up", "down"), ("down", "up")]


def test_a_flap_is_recorded_in_the_history_and_never_notified(clock):
    run(clock, "up")
    notified = [run(clock, status) for status in ("down", "down", "up", "down", "up", "up", "up", "up")]
    assert notified == [[]] * 8
    assert changes() == [("up", "down"), ("down", "up"), ("up", "down"), ("down", "up")]
    assert ServiceState.objects.get().notified == "up"


def test_a_change_waiting_for_its_notification_moves_on_to_another_status(clock):
    run(clock, "up")
    run(clock, "down")
    run(clock, "degraded")
    run(clock, "degraded")
    [due] = run(clock, "degraded")
    assert (due.status, due.previous) == ("degraded", "up")


def test_notify_after_one_notifies_the_run_that_sees_the_change(clock):
    run(clock, "up", notify_after=1)
    [due] = run(clock, "down", notify_after=1)
    assert (due.status, due.previous) == ("down", "up")


def test_two_processes_reaching_the_count_together_notify_once(clock):
    run(clock, "up")
    run(clock, "down")
    run(clock, "down")  # streak 2: the next run reaches 3
    first, second = ServiceState.objects.get(), ServiceState.objects.get()
    ServiceState.objects.update(streak=3)  # both runs counted before either asks whether it is due
    at = clock.tick()
    outcomes = [_observe(state, result("down", at), 3, "default")[1] for state in (first, second)]
    assert sum(due is not None for due in outcomes) == 1


def test_a_change_prunes_transitions_past_the_retention(clock):
    old = Transition.objects.create(service="search", previous="up", status="down", at=START - timedelta(days=15))
    kept = Transition.objects.create(service="search", previous="down", status="up", at=START - timedelta(days=13))
    run(clock, "up")
    run(clock, "up")
    assert Transition.objects.filter(pk=old.pk).exists()  # no change yet: nothing written, nothing pruned
    run(clock, "down")
    assert not Transition.objects.filter(pk=old.pk).exists()
    assert Transition.objects.filter(pk=kept.pk).exists()


def test_latest_is_newest_first_and_filters_by_service(clock):
    run(clock, search="up", cache="up")
    run(clock, search="down", cache="down")
    run(clock, search="up")
    assert [(t.service, t.status) for t in latest()] == [("search", "up"), ("cache", "down"), ("search", "down")]
    assert [t.status for t in latest("cache")] == ["down"]
    assert len(latest(limit=1)) == 1
