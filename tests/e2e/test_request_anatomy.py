"""Request anatomy under real gunicorn: database and cache spans, Server-Timing, the access log.

Two servers for the module, both serving a view with three queries and two cache calls on
the real Redis: one on PostgreSQL with tracing and ``SERVER_TIMING`` on and JSON logs, whose
header Chromium reads through the Resource Timing API; one on SQLite with everything off but
the access log, which still carries the request's database time.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from tests.observability.tracing.urls import SECRET_VALUE
from tests.support.processes import Gunicorn, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def receiver():
    from tests.support.receivers import OTLPHttpReceiver

    collector = OTLPHttpReceiver()
    yield collector
    collector.stop()


def settings_env(**overrides: str) -> dict[str, str]:
    return project_env(DJANGO_SETTINGS_MODULE="tests.e2e.tracing_settings", WEB_CONCURRENCY="2", **overrides)


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory, postgres_url, redis_url, receiver):
    env = settings_env(DATABASE_URL=postgres_url, CACHE_URL=redis_url, SERVER_TIMING="true", LOG_FORMAT="json",
                       TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=receiver.endpoint,
                       TRACING_SERVICE_NAME=f"anatomy-{uuid.uuid4().hex[:8]}", OTEL_BSP_SCHEDULE_DELAY="100")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-anatomy-pg")) as server:
        yield server


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory, migrated_db_url, redis_url):
    env = settings_env(DATABASE_URL=migrated_db_url, CACHE_URL=redis_url, LOG_FORMAT="text")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-anatomy-sqlite")) as server:
        yield server


def wait_for_spans(receiver, trace_id: str, count: int, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while True:
        spans = [span for span in receiver.spans() if span.trace_id == trace_id]
        if len(spans) >= count or time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def test_queries_and_cache_commands_are_spans_of_the_request(postgres_server, receiver):
    status, headers, body = http_get(postgres_server.url + "/anatomy/")
    assert (status, json.loads(body)) == (200, {"cached": True})
    trace_id = headers["traceresponse"].split("-")[1]
    spans = wait_for_spans(receiver, trace_id, 6)
    (server,) = [span for span in spans if span.name == "GET anatomy/"]
    queries = [span for span in spans if span.attributes.get("db.system") == "postgresql"]
    commands = [span for span in spans if span.attributes.get("db.system") == "redis"]
    assert [span.name for span in queries] == ["SELECT"] * 3
    assert {span.attributes["db.statement"] for span in queries} == {"SELECT %s"}
    assert sorted(span.name for span in commands) == ["GET", "SET"]
    assert {span.parent_id for span in queries + commands} == {server.span_id}
    assert SECRET_VALUE not in repr(spans)


def test_server_timing_and_the_json_access_line(postgres_server):
    request_id = f"anatomy-{uuid.uuid4()}"
    _, headers, _ = http_get(postgres_server.url + "/anatomy/", headers={"X-Request-ID": request_id})
    assert re.fullmatch(r'app;dur=\d+\.\d\d, db;dur=\d+\.\d\d;desc="3 queries", cache;dur=\d+\.\d\d',
                        headers["server-timing"])
    lines = postgres_server.wait_for_stdout(f'"request_id": "{request_id}"').splitlines()
    (access,) = [json.loads(line) for line in lines if request_id in line and "gunicorn.access" in line]
    assert access["db_queries"] == 3 and access["db_ms"] > 0
    db_ms = float(re.search(r"db;dur=([\d.]+)", headers["server-timing"]).group(1))
    assert access["db_ms"] == pytest.approx(db_ms, abs=0.011)


def test_chromium_reads_the_server_timing_entries(postgres_server, page):
    page.goto(postgres_server.url + "/anatomy/")
    entries = page.evaluate("""() => performance.getEntriesByType("navigation")[0].serverTiming
        .map((entry) => ({name: entry.name, duration: entry.duration, description: entry.description}))""")
    assert [entry["name"] for entry in entries] == ["app", "db", "cache"]
    durations = {entry["name"]: entry["duration"] for entry in entries}
    assert durations["app"] >= durations["db"] > 0 and durations["cache"] > 0
    assert [entry["description"] for entry in entries] == ["", "3 queries", ""]


def test_without_server_timing_the_access_line_still_carries_the_database_time(sqlite_server):
    request_id = f"anatomy-{uuid.uuid4()}"
    status, headers, _ = http_get(sqlite_server.url + "/anatomy/", headers={"X-Request-ID": request_id})
    assert status == 200 and "server-timing" not in headers and "traceresponse" not in headers
    lines = sqlite_server.wait_for_stdout(f"request_id={request_id}").splitlines()
    (line,) = [line for line in lines if f"request_id={request_id}" in line]
    assert re.search(r" db_ms=\d+\.\d\d db_queries=3$", line), line
    status, _, _ = http_get(sqlite_server.url + "/health", headers={"X-Request-ID": request_id + "-h"})
    lines = sqlite_server.wait_for_stdout(f"request_id={request_id}-h").splitlines()
    assert any(line.endswith("db_ms=0.00 db_queries=0") for line in lines if f"{request_id}-h" in line)
