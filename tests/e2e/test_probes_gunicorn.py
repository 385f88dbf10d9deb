"""The probes under real gunicorn (2 workers), each request on a new connection.

Startup holds at 503 until the database is migrated while liveness answers; liveness stays
fast while the database and the cache accept connections and never answer; maintenance reaches every
worker, and every instance sharing a PostgreSQL database, within the cache period, and leaves as fast.
"""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from tests.support.listeners import SilentListener
from tests.support.processes import Gunicorn, http_get, project_env, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CACHE_SECONDS = 1.0


def answer(server, path: str) -> tuple[int, str, str | None]:
    """Status code, reported status and Retry-After of one GET on a new connection."""
    status, headers, body = http_get(server.url + path, timeout=10)
    return status, json.loads(body)["status"], headers.get("retry-after")


def served(env: dict, log_dir) -> Gunicorn:
    return Gunicorn(env={**env, "WEB_CONCURRENCY": "2"}, log_dir=log_dir)


def test_startup_holds_until_migrate_while_liveness_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = project_env(DATABASE_URL=url, HEALTH_CACHE_SECONDS="0")
    with served(env, tmp_path / "gunicorn") as server:
        for _ in range(6):  # new connections: both workers answer
            assert answer(server, "/health/startup")[:2] == (503, "starting")
            assert answer(server, "/health/live")[:2] == answer(server, "/health")[:2] == (200, "ok")
        migrated = run_manage("migrate", "--noinput", env=env, timeout=120)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        deadline = time.monotonic() + 10
        while answer(server, "/health/startup")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [answer(server, "/health/startup")[:2] for _ in range(10)] == [(200, "started")] * 10


@pytest.mark.parametrize("silent_cache", [False, True], ids=["database", "database-and-cache"])
def test_liveness_stays_fast_while_the_database_never_answers(tmp_path, silent_cache):
    with SilentListener() as database, SilentListener() as cache:
        env = project_env(DATABASE_URL=f"postgres://app@127.0.0.1:{database.port}/app", HEALTH_DEADLINE="3",
                          CACHE_URL=f"redis://127.0.0.1:{cache.port}/0" if silent_cache else None)
        with served(env, tmp_path / "gunicorn") as server:
            readiness = []

            def ready() -> None:
                started = time.monotonic()
                readiness.append((*answer(server, "/health/ready")[:2], time.monotonic() - started))

            waiting = [threading.Thread(target=ready) for _ in range(4)]
            for thread in waiting:
                thread.start()
            took = []
            for path in ["/health", "/health/live"] * 20:
                started = time.perf_counter()
                assert answer(server, path)[:2] == (200, "ok")
                took.append(time.perf_counter() - started)
            for thread in waiting:
                thread.join(timeout=15)
            assert database.accepted >= 1 and cache.accepted >= int(silent_cache)  # readiness did reach them
    assert max(took) < 0.5, took
    assert [a[:2] for a in readiness] == [(503, "down")] * 4
    # The database check's timeout (2 s) and at most a second waiting for the maintenance switch (3.0-3.3 s
    # measured), not as long again as the read of the switch takes to fail (5.0-5.4 s when it was awaited).
    # A silent cache adds the shared run's first read, up to the cache's socket timeout (1 s; 4.0-4.3 s measured).
    assert max(a[2] for a in readiness) < (5.2 if silent_cache else 4.2), readiness


def sample(servers, seconds: float) -> list[tuple[float, tuple]]:
    """Readiness answers of each server in turn, on new connections, for `seconds`, with when each was asked."""
    started, answers = time.monotonic(), []
    while time.monotonic() - started < seconds:
        for server in servers:
            answers.append((time.monotonic() - started, answer(server, "/health/ready")))
    return answers


def switch_and_follow(servers, env) -> None:
    """Maintenance on, then off, by the command: every server answers accordingly within the cache period + 1 s."""
    within = CACHE_SECONDS + 1
    assert {a for _, a in sample(servers, 1)} == {(200, "up", None)}
    switched = run_manage("health", "maintenance", "on", "--retry-after", "42", "--reason", "upgrade", env=env)
    assert switched.returncode == 0, switched.stdout + switched.stderr
    after = sample(servers, within + 1.5)
    assert {a for t, a in after if t >= within} == {(503, "maintenance", "42")}, after
    assert {a for _, a in after} <= {(200, "up", None), (503, "maintenance", "42")}
    for server in servers:  # liveness and startup are untouched
        assert answer(server, "/health/live")[:2] == (200, "ok")
        assert answer(server, "/health/startup")[:2] == (200, "started")
    switched = run_manage("health", "maintenance", "off", env=env)
    assert switched.returncode == 0, switched.stdout + switched.stderr
    after = sample(servers, within + 1.5)
    assert {a for t, a in after if t >= within} == {(200, "up", None)}, after


def test_maintenance_reaches_every_worker_within_the_cache_period_and_back(tmp_path, migrated_db_url):
    database = tmp_path / "db.sqlite3"
    shutil.copy(migrated_db_url.removeprefix("sqlite:///"), database)
    env = project_env(DATABASE_URL=f"sqlite:///{database}", HEALTH_CACHE_SECONDS=f"{CACHE_SECONDS:g}")
    with served(env, tmp_path / "gunicorn") as server:
        switch_and_follow([server], env)


def test_maintenance_reaches_every_instance_sharing_postgresql(tmp_path, postgres_url):
    env = project_env(DATABASE_URL=postgres_url, HEALTH_CACHE_SECONDS=f"{CACHE_SECONDS:g}")
    migrated = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    try:
        with served(env, tmp_path / "one") as one, served(env, tmp_path / "two") as two:
            switch_and_follow([one, two], env)
    finally:
        run_manage("health", "maintenance", "off", env=env)  # the database is shared with other tests
