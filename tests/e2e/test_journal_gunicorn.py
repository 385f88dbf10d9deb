"""The request journal under real gunicorn with 2 workers, on SQLite and on PostgreSQL.

Sync workers serve one request at a time, so a worker held by a slow request leaves the next
ones to the other: an entry one worker recorded is then looked up through the other.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import pytest

from tests.support.processes import Gunicorn, http_get, project_env, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "journal-e2e-key-5b0c6e1d9f"
SECRET = "e2e-secret-query-value"


def postgres_database(postgres_url: str) -> str:
    """`postgres_url`, its database created when missing, migrated."""
    import psycopg

    parts = urllib.parse.urlsplit(postgres_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=postgres_url), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DELETE FROM observability_journalentry")
    return postgres_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory, migrated_db_url):
    db_url = migrated_db_url if request.param == "sqlite" else \
        postgres_database(request.getfixturevalue("postgres_url"))
    # Traced (spans to the console, read from nothing): entries carry trace IDs to look them up by.
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=db_url, WEB_CONCURRENCY="2",
                      GUNICORN_THREADS="1", CHIMERA_API_KEYS=KEY, REQUEST_JOURNAL_SLOW_MS="300",
                      TRACE_URL_TEMPLATE="http://jaeger:16686/trace/{trace_id}", TRACING_ENABLED="true",
                      TRACING_EXPORTER="console")
    # One thread a worker, or gunicorn runs gthread workers, which accept while busy.
    gunicorn = Gunicorn(env=env, log_dir=tmp_path_factory.mktemp(f"journal-{request.param}"),
                        args=["--worker-class", "sync"]).start()
    yield gunicorn
    gunicorn.stop()


def get(server: Gunicorn, path: str, **headers: str) -> tuple[int, dict, bytes]:
    return http_get(server.url + path, headers=headers, timeout=10)


def entry(server: Gunicorn, request_id: str, within: float = 2.0) -> dict | None:
    """The entry of `request_id` as the API answers it, waited for up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        status, _, body = get(server, f"/api/v1/requests/{request_id}", **{"X-API-Key": KEY})
        if status == 200:
            return json.loads(body)
        assert status == 404, body
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def request_id_of(headers: dict) -> str:
    return {name.lower(): value for name, value in headers.items()}["x-request-id"]


def trace_id_of(headers: dict) -> str:
    """The trace ID of the response's ``traceresponse`` header (00-<trace>-<span>-<flags>)."""
    return {name.lower(): value for name, value in headers.items()}["traceresponse"].split("-")[1]


def by_trace(server: Gunicorn, trace_id: str, within: float = 2.0) -> list[str]:
    """The request IDs the API finds for `trace_id`, waited for up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        status, _, body = get(server, f"/api/v1/requests?trace_id={trace_id}", **{"X-API-Key": KEY})
        assert status == 200, body
        found = [e["request_id"] for e in json.loads(body)["results"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_failed_and_slow_requests_are_found_by_id_and_trace_within_2_seconds(server):
    status, headers, _ = get(server, f"/boom?api_key={SECRET}", **{"X-Request-ID": "e2e-boom-1"})
    assert status == 500
    assert by_trace(server, trace_id_of(headers)) == ["e2e-boom-1"]
    failed = entry(server, "e2e-boom-1")
    assert failed is not None and failed["status"] == 500 and failed["exception"] == "RuntimeError"
    assert failed["trace_id"] == trace_id_of(headers)
    assert failed["links"]["trace"] == f"http://jaeger:16686/trace/{failed['trace_id']}"
    assert any(line["logger"] == "django.request" for line in failed["logs"])
    assert SECRET not in json.dumps(failed) and failed["path"] == "/boom?api_key=***"
    status, headers, _ = get(server, "/slow?sleep=0.4")
    assert by_trace(server, trace_id_of(headers)) == [request_id_of(headers)]
    slow = entry(server, request_id_of(headers))
    assert slow is not None and slow["status"] == 200 and slow["duration_ms"] >= 400
    assert slow["trace_id"] == trace_id_of(headers)
    assert [line["message"] for line in slow["logs"]] == ["slow view ran with sleep=0.4"]
    _, headers, _ = get(server, "/ok")
    assert entry(server, request_id_of(headers), within=1.0) is None


def test_an_entry_one_worker_recorded_is_found_through_the_other(server):
    def slow(request_id: str, seconds: float) -> threading.Thread:
        thread = threading.Thread(target=get, args=(server, f"/slow?sleep={seconds}"),
                                  kwargs={"X-Request-ID": request_id})
        thread.start()
        time.sleep(0.3)  # the slow request has its worker
        return thread

    holder = slow("e2e-hold-1", 1.5)
    get(server, "/boom", **{"X-Request-ID": "e2e-other-1"})  # the other worker fails it
    holder.join()
    first, second = entry(server, "e2e-hold-1"), entry(server, "e2e-other-1")
    assert first["instance"] != second["instance"], server.output()
    # Whichever worker is held now, the other answers both look-ups: one of them is the other's entry.
    holder = slow("e2e-hold-2", 1.5)
    found = [get(server, f"/api/v1/requests/{rid}", **{"X-API-Key": KEY})[0] for rid in ("e2e-hold-1", "e2e-other-1")]
    holder.join()
    assert found == [200, 200]
    assert entry(server, "e2e-hold-2")["instance"] in {first["instance"], second["instance"]}


def test_hostile_ids_and_anonymous_callers_never_see_an_entry(server):
    from tests.observability.test_request_id import HOSTILE

    for value in HOSTILE[1:]:
        status, _, body = get(server, "/api/v1/requests/" + urllib.parse.quote(value, safe=""), **{"X-API-Key": KEY})
        if status == 414:  # over gunicorn's request-line limit: refused before Django sees it
            assert len(value) > 4000
            continue
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
        assert value not in body.decode()
    assert get(server, "/api/v1/requests/e2e-boom-1")[0] == 401
    assert get(server, "/api/v1/requests")[0] == 401


@pytest.mark.parametrize("preload", [True, False], ids=["master-preloads", "workers-load-the-app"])
def test_each_workers_spans_carry_the_instance_its_entries_show(tmp_path, migrated_db_url, preload):
    """Spans at a real OTLP receiver name the same worker as the entries of their requests."""
    from tests.support.receivers import OTLPGrpcReceiver

    receiver = OTLPGrpcReceiver()
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="2",
                      GUNICORN_THREADS="1", CHIMERA_API_KEYS=KEY, TRACING_ENABLED="true", TRACING_EXPORTER="otlp",
                      TRACING_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="100",
                      OTEL_RESOURCE_ATTRIBUTES="service.instance.id=set-for-the-fleet")
    args = ["--worker-class", "sync", *(["--preload"] if preload else [])]
    try:
        with Gunicorn(env=env, log_dir=tmp_path, args=args) as server:
            # A slow request holds one worker while the other fails a request: both workers record.
            tag = f"span-{'preload' if preload else 'plain'}"
            holder = threading.Thread(target=get, args=(server, "/slow?sleep=1.5"), kwargs={"X-Request-ID": f"{tag}-1"})
            holder.start()
            time.sleep(0.3)
            get(server, "/boom", **{"X-Request-ID": f"{tag}-2"})
            holder.join()
            entries = {rid: entry(server, rid) for rid in (f"{tag}-1", f"{tag}-2")}
        deadline = time.monotonic() + 15
        spans = {}
        while len(spans) < 2 and time.monotonic() < deadline:
            spans = {span.attributes.get("request.id"): span for span in receiver.spans()
                     if span.attributes.get("request.id") in entries and span.parent_id is None}
            time.sleep(0.05)
    finally:
        receiver.stop()
    assert all(entries.values()), entries
    instances = {rid: found["instance"] for rid, found in entries.items()}
    assert len(set(instances.values())) == 2, server.output()
    assert {rid: span.resource.get("service.instance.id") for rid, span in spans.items()} == instances


def scraped_dropped(server: Gunicorn) -> float | None:
    _, _, body = get(server, "/metrics", **{"X-API-Key": KEY})
    return next((float(line.split()[1]) for line in body.decode().splitlines()
                 if line.startswith("request_journal_entries_dropped_total ")), None)


def test_entries_the_database_refuses_are_counted_exactly_on_metrics_whichever_worker_answers(tmp_path):
    # A database without the journal's table: every write fails, as with the database down.
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite3",
                      WEB_CONCURRENCY="2", GUNICORN_THREADS="1", CHIMERA_API_KEYS=KEY, REQUEST_JOURNAL_SLOW_MS="300")
    with Gunicorn(env=env, log_dir=tmp_path, args=["--worker-class", "sync"]) as server:
        assert [scraped_dropped(server) for _ in range(4)] == [0] * 4
        # One worker held by a slow request (itself notable) while the other fails three.
        holder = threading.Thread(target=get, args=(server, "/slow?sleep=1"))
        holder.start()
        time.sleep(0.3)
        assert [get(server, "/boom")[0] for _ in range(3)] == [500] * 3
        holder.join()
        assert [get(server, "/boom")[0] for _ in range(2)] == [500] * 2
        deadline = time.monotonic() + 10
        while scraped_dropped(server) != 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [scraped_dropped(server) for _ in range(6)] == [6] * 6, server.output()
        assert "The request journal dropped 1 entries" in server.output()


def test_the_size_bound_and_the_time_to_live_hold_on_postgresql(tmp_path, postgres_url):
    import psycopg

    db_url = postgres_database(urllib.parse.urlsplit(postgres_url)._replace(
        path=urllib.parse.urlsplit(postgres_url).path + "_journal_bounds").geturl())
    with psycopg.connect(db_url, autocommit=True) as connection:  # an entry a day and an hour old
        connection.execute(
            "INSERT INTO observability_journalentry (request_id, trace_id, method, route, path, status, duration_ms, "
            "started_at, instance, \"user\", exception, logs) VALUES ('e2e-old-1', '', 'GET', '/boom', '/boom', 500, "
            "1.0, now() - interval '25 hours', 'gone', '', '', '[]')")
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=db_url, WEB_CONCURRENCY="2",
                      GUNICORN_THREADS="1", CHIMERA_API_KEYS=KEY, REQUEST_JOURNAL_SIZE="3",
                      REQUEST_JOURNAL_TTL_HOURS="24")
    with Gunicorn(env=env, log_dir=tmp_path, args=["--worker-class", "sync"]) as server:
        assert entry(server, "e2e-old-1", within=0) is not None
        for number in range(5):
            assert get(server, "/boom", **{"X-Request-ID": f"e2e-bound-{number}"})[0] == 500
            assert entry(server, f"e2e-bound-{number}") is not None  # written before the next one
        assert entry(server, "e2e-old-1", within=0) is None
        kept = [number for number in range(5) if entry(server, f"e2e-bound-{number}", within=0) is not None]
    assert kept == [2, 3, 4]
    with psycopg.connect(db_url, autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM observability_journalentry").fetchone()[0] == 3
