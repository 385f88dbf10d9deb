"""The history fed by real runs (`observe_run()` off the run's path) and GET /api/v1/health/history."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from healthdash.models import Transition
from healthdash.notifications import sender
from tests.healthdash.conftest import API_KEY
from tests.support.webhooks import WebhookReceiver

URL = "/api/v1/health/history"


@pytest.mark.django_db(transaction=True)
def test_runs_feed_the_history_and_a_held_change_posts_one_webhook(registry, runner, recorded_history, settings):
    state = {"status": "up"}
    registry.register("search", lambda: state["status"], critical=False)
    with WebhookReceiver() as webhook:
        settings.HEALTHDASH = {**settings.HEALTHDASH, "HEALTH_WEBHOOK_URL": webhook.url}

        def runs(status: str, count: int) -> None:
            state["status"] = status
            for _ in range(count):
                runner.run()
                assert recorded_history.wait(10)
        runs("up", 2)
        runs("degraded", 2)   # a flap: recorded, never notified
        runs("up", 1)
        runs("degraded", 4)   # held for three runs: notified once
        assert sender.wait(10)
        assert webhook.wait_for(1) == [{"service": "search", "status": "degraded", "previous": "up",
                                        "at": webhook.received()[0]["at"]}]
    transitions = [(t.previous, t.status) for t in Transition.objects.order_by("at", "id")]
    assert transitions == [("up", "degraded"), ("degraded", "up"), ("up", "degraded")]


@pytest.mark.django_db(transaction=True)
def test_a_run_returns_before_its_history_is_written(registry, runner, recorded_history, monkeypatch):
    from healthdash import transitions

    writing = []

    def slow_record(*args, **kwargs):
        writing.append(time.monotonic())
        time.sleep(1.0)
        return transitions.Recorded([], False)
    monkeypatch.setattr(transitions, "record", slow_record)
    monkeypatch.setattr("healthdash.history.record", slow_record)
    registry.register("search", lambda: "up", critical=False)
    started = time.monotonic()
    runner.run()
    returned = time.monotonic() - started
    assert recorded_history.wait(10) and writing
    assert returned < 1.0  # the slow write ran after the run had returned


@pytest.fixture
def transitions(db):
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    Transition.objects.create(service="search", previous="up", status="down", at=at, reason="connection refused")
    Transition.objects.create(service="cache", previous="up", status="degraded", at=at + timedelta(seconds=5))
    Transition.objects.create(service="search", previous="down", status="up", at=at + timedelta(seconds=10))


def test_anonymous_callers_get_401_and_other_users_403(client, django_user_model, transitions):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    client.force_login(django_user_model.objects.create_user("someone", password="a-password-1234"))
    assert client.get(URL).status_code == 403


def test_api_keys_get_every_transition_newest_first(client, api_keys, transitions):
    response = client.get(URL, HTTP_X_API_KEY=API_KEY)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"transitions": [
        {"service": "search", "from": "down", "to": "up", "at": "2026-12-07T10:00:10.000Z", "reason": None},
        {"service": "cache", "from": "up", "to": "degraded", "at": "2026-12-07T10:00:05.000Z", "reason": None},
        {"service": "search", "from": "up", "to": "down", "at": "2026-12-07T10:00:00.000Z",
         "reason": "connection refused"},
    ]}


def test_staff_filter_by_service_and_limit(staff_client, transitions):
    body = staff_client.get(URL, {"service": "search", "limit": "1"}).json()
    assert [(t["service"], t["to"]) for t in body["transitions"]] == [("search", "up")]
    assert staff_client.get(URL, {"service": "nothing"}).json() == {"transitions": []}


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1"])
def test_a_bad_limit_is_a_400(staff_client, transitions, limit):
    response = staff_client.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"limit": "Give a whole number from 1 to 1000."}


@pytest.mark.django_db(transaction=True)
def test_manage_py_health_stays_out_of_the_fleets_history(recorded_history):
    from django.core.management import CommandError, call_command

    from healthdash.models import ServiceState

    with contextlib.suppress(CommandError):  # a service of this environment may be down: not the point here
        call_command("health", "--json", stdout=io.StringIO())
    assert recorded_history.wait(5)
    assert not ServiceState.objects.exists()
    assert recorded_history.accepting  # the process's own runs are recorded again afterwards


def results_at(status: str) -> dict:
    from healthdash.status import ServiceResult, Status

    at = datetime.now(UTC)
    return {"search": ServiceResult(name="search", status=Status(status), critical=False, latency_ms=1.0,
                                    checked_at=at)}


@pytest.mark.django_db(transaction=True)
def test_a_failing_database_is_logged_once_and_its_return_once(caplog):
    from django.db import connection

    from healthdash.history import Observer
    from healthdash.models import ServiceState

    observer = Observer()
    with connection.schema_editor() as editor:
        editor.delete_model(ServiceState)
    try:
        with caplog.at_level(logging.INFO, logger="healthdash.history"):
            observer.observe(tuple(results_at("up").values()))
            observer.observe(tuple(results_at("up").values()))
            assert observer.failing
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(ServiceState)
    with caplog.at_level(logging.INFO, logger="healthdash.history"):
        observer.observe(tuple(results_at("up").values()))
    messages = [record.getMessage() for record in caplog.records if record.name == "healthdash.history"]
    assert len(messages) == 2 and messages[0].startswith("Health history not recorded: the database failed")
    assert messages[1] == "Health history recorded again: the database answers"
    assert ServiceState.objects.get().status == "up"


def test_a_backlog_keeps_the_newest_runs_and_counts_the_dropped(monkeypatch):
    from healthdash.history import Observer

    observer = Observer(size=2)
    monkeypatch.setattr(observer, "_start", lambda: None)  # nothing drains it
    for status in ("up", "degraded", "down"):
        observer.submit(results_at(status))
    kept = [observer.queue.get_nowait()[0].status.value for _ in range(2)]
    assert (kept, observer.dropped) == (["degraded", "down"], 1)
