"""The request journal in process: what is recorded, how it is found, its bounds, and what never appears."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from observability.journal.configuration import parse_journal
from observability.journal.recording import MAX_LOGS, Capture, JournalHandler, capture_var
from observability.journal.writer import writer
from observability.models import JournalEntry
from tests.observability.test_request_id import HOSTILE

pytestmark = [pytest.mark.urls("tests.observability.urls"), pytest.mark.django_db(transaction=True)]

KEY = "journal-test-key-0123456789"
SECRET = "s3cr3t-query-value"


@pytest.fixture(autouse=True)
def written(recorded_journal):
    """Every entry of the test written before its database is emptied (SQLite refuses both at once)."""


@pytest.fixture
def api(client, use_api_keys):
    use_api_keys(KEY)

    def get(path: str, **headers):
        return client.get(path, headers={"X-API-Key": KEY, **headers})
    return get


def recorded(response) -> JournalEntry | None:
    assert writer.wait(5)
    return JournalEntry.objects.filter(request_id=response["X-Request-ID"]).first()


def test_a_5xx_is_recorded_with_django_s_own_error_line(client):
    client.raise_request_exception = False
    response = client.get(f"/boom?token={SECRET}")
    entry = recorded(response)
    assert entry is not None and entry.status == 500
    assert entry.route == "/boom" and entry.method == "GET" and entry.exception == "RuntimeError"
    assert entry.path == "/boom?token=***"
    assert [line["logger"] for line in entry.logs] == ["django.request"]
    assert entry.logs[0]["level"] == "ERROR" and "Internal Server Error" in entry.logs[0]["message"]
    assert SECRET not in str(entry.logs)


def test_a_slow_request_is_recorded_and_a_fast_one_is_not(client, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_SLOW_MS": "200"}
    slow = recorded(client.get("/slow?sleep=0.25"))
    assert slow is not None and slow.status == 200 and slow.duration_ms >= 250
    assert [line["message"] for line in slow.logs] == ["slow view ran with sleep=0.25"]
    assert recorded(client.get("/ok")) is None
    assert recorded(client.get("/slow?sleep=0.01")) is None


def test_switched_off_nothing_is_recorded(client, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_ENABLED": "false"}
    client.raise_request_exception = False
    assert recorded(client.get("/boom")) is None


def test_found_by_request_id_and_by_trace_id_through_the_api(client, api, span_exporter):
    client.raise_request_exception = False
    failed = client.get("/api/test/boom", headers={"X-Request-ID": "ticket-4711"})
    assert failed.status_code == 500 and recorded(failed) is not None
    found = api("/api/v1/requests/ticket-4711")
    assert found.status_code == 200
    body = found.json()
    assert body["status"] == 500 and body["route"] == "/api/test/boom" and len(body["trace_id"]) == 32
    assert body["started_at"].endswith("Z") and body["instance"] and body["user"] is None
    assert body["links"] == {"trace": None, "logs": None}
    by_trace = api(f"/api/v1/requests?trace_id={body['trace_id']}").json()["results"]
    assert [entry["request_id"] for entry in by_trace] == ["ticket-4711"]
    assert [e["request_id"] for e in api("/api/v1/requests?status=5xx").json()["results"]] == ["ticket-4711"]
    assert api("/api/v1/requests?status=4xx").json()["results"] == []
    assert len(api("/api/v1/requests?route=/api/test/boom").json()["results"]) == 1
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert api(f"/api/v1/requests?since={later}").json()["results"] == []
    assert api("/api/v1/requests?since=yesterday").status_code == 400


def test_links_come_from_the_templates(client, api, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACE_URL_TEMPLATE": "http://jaeger:16686/trace/{trace_id}",
                              "LOGS_URL_TEMPLATE": "https://logs.example.com/search?q={request_id}"}
    client.raise_request_exception = False
    recorded(client.get("/boom", headers={"X-Request-ID": "linked-1"}))
    links = api("/api/v1/requests/linked-1").json()["links"]
    assert links == {"trace": None, "logs": "https://logs.example.com/search?q=linked-1"}  # not traced here


def test_the_user_is_the_primary_key_on_the_entry_and_the_log_lines(client, api, context_caplog):
    user = get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123456")
    client.force_login(user)
    client.raise_request_exception = False
    response = client.get("/api/test/user-boom")
    entry = recorded(response)
    assert entry.user == str(user.pk) and entry.exception == "RuntimeError"
    warning = next(r for r in context_caplog.records if r.getMessage() == "failing for an authenticated user")
    assert warning.user == str(user.pk)
    assert "alice" not in str(api(f"/api/v1/requests/{response['X-Request-ID']}").json())


def test_anonymous_requests_carry_no_user_on_their_log_lines(client, context_caplog):
    client.get("/ok")
    record = next(r for r in context_caplog.records if r.getMessage() == "plain view ran")
    assert "user" not in record.__dict__


@pytest.mark.parametrize("value", HOSTILE[1:], ids=range(1, len(HOSTILE)))
def test_hostile_ids_answer_404_in_the_error_envelope(api, value):
    from urllib.parse import quote

    response = api("/api/v1/requests/" + quote(value, safe=""))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert value not in response.content.decode()


def test_unknown_ids_answer_404_and_anonymous_callers_401(client, api, use_api_keys):
    assert api("/api/v1/requests/never-seen").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/requests/never-seen").status_code == 401
    assert client.get("/api/v1/requests").status_code == 401
    user = get_user_model().objects.create_user("bob", password="pw-bob-123456")
    client.force_login(user)
    assert client.get("/api/v1/requests").status_code == 403


def test_a_staff_session_reads_entries_without_a_key(client):
    client.raise_request_exception = False
    request_id = client.get("/boom")["X-Request-ID"]
    assert writer.wait(5)
    staff = get_user_model().objects.create_user("ops", password="pw-ops-123456", is_staff=True)
    client.force_login(staff)
    found = client.get(f"/api/v1/requests/{request_id}")
    assert (found.status_code, found.json()["status"]) == (200, 500)
    assert [e["request_id"] for e in client.get("/api/v1/requests?status=5xx").json()["results"]] == [request_id]


def test_the_size_bound_drops_the_oldest_first(client, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_SIZE": "3"}
    client.raise_request_exception = False
    ids = [client.get("/boom")["X-Request-ID"] for _ in range(5)]
    assert writer.wait(5)
    assert sorted(JournalEntry.objects.values_list("request_id", flat=True)) == sorted(ids[2:])


def test_entries_past_their_time_to_live_are_dropped(client, settings):
    JournalEntry.objects.create(request_id="old-one", method="GET", route="/boom", path="/boom", status=500,
                                duration_ms=1.0, started_at=datetime.now(UTC) - timedelta(hours=2), instance="x")
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_TTL_HOURS": "1"}
    client.raise_request_exception = False
    recorded(client.get("/boom"))
    assert not JournalEntry.objects.filter(request_id="old-one").exists()


def test_no_credential_reaches_an_entry(client, api, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_SLOW_MS": "1"}
    logging.getLogger("tests.views").setLevel(logging.INFO)
    response = client.get(f"/slow?sleep=0.01&password={SECRET}", headers={
        "Authorization": f"Bearer {SECRET}-bearer", "Cookie": f"sessionid={SECRET}-cookie"})
    recorded(response)
    answer = api(f"/api/v1/requests/{response['X-Request-ID']}").content.decode()
    assert SECRET not in answer and KEY not in answer


def dropped_on_metrics(client) -> float | None:
    text = client.get("/metrics", headers={"X-API-Key": KEY}).content.decode()
    return next((float(line.split()[1]) for line in text.splitlines()
                 if line.startswith("request_journal_entries_dropped_total ")), None)


def test_a_full_queue_drops_and_counts_without_failing_the_request(client, monkeypatch, use_api_keys):
    import queue

    from observability.journal import writer as writer_module

    use_api_keys(KEY)  # a fresh in-memory registry too: the counter is shown before anything was dropped
    assert dropped_on_metrics(client) == 0
    full = queue.Queue(1)
    monkeypatch.setattr(writer_module.writer, "queue", full)
    monkeypatch.setattr(writer_module.writer, "_start", lambda: None)  # nothing drains it
    before = writer_module.writer.dropped
    client.raise_request_exception = False
    assert [client.get("/boom").status_code for _ in range(3)] == [500, 500, 500]
    assert writer_module.writer.dropped == before + 2
    assert dropped_on_metrics(client) == 2
    full.get_nowait()
    full.task_done()


@pytest.mark.parametrize(("name", "value"), [
    ("REQUEST_JOURNAL_SLOW_MS", "0"), ("REQUEST_JOURNAL_SIZE", "-5"), ("REQUEST_JOURNAL_TTL_HOURS", "2.5"),
    ("TRACE_URL_TEMPLATE", "http://jaeger:16686/trace"), ("TRACE_URL_TEMPLATE", "jaeger/{trace_id}"),
    ("LOGS_URL_TEMPLATE", "https://logs/"), ("REQUEST_JOURNAL_ENABLED", "maybe"),
])
def test_bad_values_are_errors_naming_the_variable(name, value):
    _, problems = parse_journal({name: value}, {})
    assert len(problems) == 1 and problems[0].is_error and name in problems[0].message


def test_the_server_span_carries_the_authenticated_user_and_no_one_else(client, span_exporter):
    user = get_user_model().objects.create_user("dora", password="pw-dora-123456")
    client.raise_request_exception = False
    client.get("/api/test/ok")
    client.force_login(user)
    client.get("/api/test/user-boom")
    users = [span.attributes.get("enduser.id") for span in span_exporter.get_finished_spans()
             if span.kind.name == "SERVER"]
    assert users == [None, str(user.pk)]


def test_an_entry_keeps_at_most_50_log_lines(client, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "REQUEST_JOURNAL_SLOW_MS": "1"}
    logging.getLogger("tests.views").setLevel(logging.INFO)
    response = client.get("/stream")
    b"".join(response.streaming_content)  # three lines while the body is sent, after the view returned
    entry = recorded(response)
    assert [line["message"] for line in entry.logs] == [f"streaming chunk {n}" for n in range(3)]
    capture, handler = Capture(), JournalHandler()
    token = capture_var.set(capture)
    try:
        for number in range(MAX_LOGS + 10):
            handler.handle(logging.LogRecord("x", logging.INFO, "", 0, "line %d", (number,), None))
    finally:
        capture_var.reset(token)
    assert len(capture.records) == MAX_LOGS == 50
