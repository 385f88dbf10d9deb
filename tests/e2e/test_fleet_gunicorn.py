"""The fleet under two real gunicorn instances (2 workers each) sharing PostgreSQL and a Redis of the test's own.

One pair of servers serves the whole module, in order: the fleet lists the 4 processes; under
10 s of dashboard requests on both instances a URL check's target is fetched about once per
cache period for the whole fleet; ``kill -9`` of one instance makes its processes stale within 3
heartbeats, then drops them; the Redis stopped never produces a 500, and the fleet comes back
with it; an instance stopped gracefully leaves the fleet at once.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from tests.support.http_server import RecordingServer
from tests.support.processes import Gunicorn, http_get, project_env, run_manage, worker_pids
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = "e2e-fleet-key-5c2e8a41d9"
BEAT = 1.0  # HEALTH_HEARTBEAT_SECONDS
CACHE_SECONDS = 2.0
VERSION = "7.3.1-e2e"
FLEET, DASHBOARD = "/api/v1/health/fleet", "/api/v1/health/dashboard"
KEY = {"X-API-Key": API_KEY}


def get_json(server: Gunicorn, path: str, headers: dict | None = None) -> tuple[int, dict]:
    status, _, body = http_get(server.url + path, headers=headers, timeout=10)
    return status, json.loads(body)


def fleet(server: Gunicorn) -> dict[int, dict]:
    """The fleet as `server` lists it, by pid."""
    status, body = get_json(server, FLEET, KEY)
    assert status == 200, body
    assert body["count"] == len(body["instances"])
    return {entry["pid"]: entry for entry in body["instances"]}


def wait_until(condition, timeout: float, interval: float = 0.1):
    """`condition()`'s first truthy value within `timeout` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("fleet-redis")) as server:
        yield server


@pytest.fixture(scope="module")
def upstream():
    """The URL check's target: it counts the fetches."""
    with RecordingServer() as server:
        yield server


@pytest.fixture(scope="module")
def instances(tmp_path_factory, postgres_url, redis_server, upstream):
    env = project_env(
        DATABASE_URL=postgres_url, CACHE_URL=redis_server.url(0), WEB_CONCURRENCY="2", CHIMERA_API_KEYS=API_KEY,
        HEALTH_HEARTBEAT_SECONDS=f"{BEAT:g}", HEALTH_CACHE_SECONDS=f"{CACHE_SECONDS:g}", SERVICE_VERSION=VERSION,
        HEALTH_URL_CHECKS=f"upstream={upstream.url}/target",
    )
    migrated = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    servers = [Gunicorn(env=env, log_dir=tmp_path_factory.mktemp(f"gunicorn-fleet-{name}")) for name in "ab"]
    try:
        for server in servers:
            server.start(wait_path=None)
        for server in servers:
            server.wait_until_ready("/health", timeout=60)
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_the_fleet_lists_every_process_of_both_instances(instances):
    first, second = instances
    workers = {pid for server in instances for pid in worker_pids(server.process.pid)}
    assert len(workers) == 4

    def all_live() -> dict | None:
        found = fleet(first)
        return found if set(found) == workers and {e["state"] for e in found.values()} == {"live"} else None
    listed = wait_until(all_live, timeout=20)
    assert listed, (fleet(first), first.output())
    assert len({entry["id"] for entry in listed.values()}) == 4
    assert {entry["version"] for entry in listed.values()} == {VERSION}
    assert set(fleet(second)) == workers
    assert get_json(first, FLEET)[0] == 401


def test_a_url_target_is_fetched_about_once_per_cache_period_for_the_whole_fleet(instances, upstream):
    upstream.received.clear()
    seconds, answers, failures = 10.0, [], []

    def ask(server: Gunicorn) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            status, body = get_json(server, DASHBOARD, KEY)
            if status != 200:
                failures.append((status, body))
            answers.append(body.get("checked_at"))
            time.sleep(0.05)
    started = time.monotonic()
    askers = [threading.Thread(target=ask, args=(server,)) for server in instances for _ in range(2)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    hits = [r for r in upstream.received if r.path == "/target"]
    periods = elapsed / CACHE_SECONDS
    # Once per process would be 4 per period; the fleet shares one run, plus one a period may add at its edge.
    assert 1 <= len(hits) <= periods + 2, (len(hits), elapsed, len(answers))
    assert len(set(answers)) == len(hits)  # every process served the same runs
    assert failures == [] and len(answers) > 40


def test_kill_9_of_an_instance_makes_its_processes_stale_within_three_heartbeats(instances):
    victim, survivor = instances
    killed = set(worker_pids(victim.process.pid))
    fleet(survivor)  # the survivor answers before the kill
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait(timeout=10)
    killed_at = time.monotonic()

    def all_stale() -> dict | None:
        found = fleet(survivor)
        return found if all(found[pid]["state"] == "stale" for pid in killed if pid in found) else None
    found = wait_until(all_stale, timeout=10 * BEAT, interval=0.1)
    stale_after = time.monotonic() - killed_at
    assert found and killed <= set(found), found
    # Seen last at most a heartbeat before the kill, stale 3 heartbeats after that; the rest is polling and
    # the survivor's answer on a busy machine.
    assert stale_after <= 3 * BEAT + 3, stale_after
    survivors = set(worker_pids(survivor.process.pid))
    assert wait_until(lambda: {fleet(survivor)[pid]["state"] for pid in survivors} == {"live"}, timeout=5)
    # After 10 heartbeats unseen they leave the fleet.
    remaining = wait_until(lambda: not killed & set(fleet(survivor)), timeout=15 * BEAT, interval=0.5)
    assert remaining, fleet(survivor)


def test_redis_stopped_never_produces_a_500_and_the_fleet_comes_back(instances, redis_server):
    server = instances[1]
    redis_server.stop()
    try:
        answers = []
        for _ in range(3):
            for path, headers in [("/health", None), ("/health/ready", None), ("/health/startup", None),
                                  (DASHBOARD, None), (DASHBOARD + "?refresh=1", KEY), (FLEET, KEY)]:
                status, _, body = http_get(server.url + path, headers=headers, timeout=15)
                answers.append((path, status, json.loads(body)))
        assert {status for _, status, _ in answers} <= {200, 503}, answers
        assert all(status == 200 for path, status, _ in answers if path == "/health")
        fleet_answers = [body for path, _, body in answers if path == FLEET]
        assert all(body["error"]["code"] == "fleet_unavailable" for body in fleet_answers), fleet_answers
        detailed = next(body for path, _, body in answers if path.endswith("refresh=1"))
        assert detailed["services"]["cache"]["status"] == "down"
        assert detailed["services"]["upstream"]["status"] == "up"  # the process ran its own checks
    finally:
        redis_server.start()
    back = wait_until(lambda: get_json(server, FLEET, KEY)[0] == 200 and len(fleet(server)) == 2, timeout=20)
    assert back, get_json(server, FLEET, KEY)
    assert "Traceback" not in server.output()


def test_an_instance_stopped_gracefully_leaves_the_fleet_at_once(instances, redis_server):
    import redis

    server = instances[1]
    client = redis.Redis.from_url(redis_server.url(0))
    records = [key for key in client.keys("*healthdash:fleet:*") if not key.endswith((b"index", b"index-lock"))]
    assert len(records) == 2
    server.stop()
    assert [key for key in client.keys("*healthdash:fleet:*") if not key.endswith((b"index", b"index-lock"))] == []
