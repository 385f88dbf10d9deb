"""Slow and idle clients never take the service down (gunicorn as bin/serve runs it: gunicorn.conf.py).

50 connections held open for 30 s, half idle, half sending one header byte every 2 s: /health
and a normal dashboard request each answer 20 times out of 20 within 1 s, and no worker is killed.
Trickling connections arriving while one worker is paused all go to the other: fewer than its
threads (the bound docs/deployment.md states) leave /health answering. Slow provider calls on a
single worker hold only their own requests: the worker runs one request at a time only until a
request waits (observability.workers).
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.chat_server import ChatCompletionsServer
from tests.support.hostile import SlowClients
from tests.support.processes import Gunicorn, project_env, sockets_held, timed_get, worker_pids

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ATTACK_SECONDS = 30
PROBES = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db_url):
    # Nothing but what bin/serve has: the configuration file's defaults (workers, threads, timeouts).
    env = project_env(DATABASE_URL=migrated_db_url, CHIMERA_API_KEYS="k0123456789abcdef0")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-slow-clients")) as gunicorn:
        yield gunicorn


def test_fifty_hostile_connections_for_thirty_seconds(server):
    results: dict[str, list[tuple[int | str, float]]] = {"/health": [], "/api/v1/health/dashboard": []}
    with SlowClients(server.port, 50) as attack:
        time.sleep(3)  # every hostile connection is open before the first probe
        started = time.monotonic()
        for number in range(PROBES):
            for path, answers in results.items():
                answers.append(timed_get(server.url + path))
            # Probes spread over the rest of the attack.
            time.sleep(max(0.0, started + (number + 1) * (ATTACK_SECONDS - 3) / PROBES - time.monotonic()))
        opened = attack.connections
    assert opened >= 50
    for path, answers in results.items():
        slow_or_failed = [(status, round(took, 2)) for status, took in answers if status != 200 or took >= 1]
        assert slow_or_failed == [], f"{path}: {slow_or_failed}"
    log = server.stderr()
    assert "WORKER TIMEOUT" not in log and "SIGKILL" not in log
    assert log.count("Booting worker") == 2  # the two of start-up, none booted to replace a killed one


def test_a_burst_while_one_worker_is_busy_goes_to_the_other_and_fewer_than_its_threads_hold(server):
    workers = worker_pids(server.process.pid)
    os.kill(workers[0], signal.SIGSTOP)  # busy, or slow to wake: the other accepts the whole burst
    try:
        attack = SlowClients(server.port, 56, trickling=56).start()  # one worker's 64 threads, less room
        time.sleep(2)
    finally:
        os.kill(workers[0], signal.SIGCONT)
    try:
        time.sleep(1)
        held = [sockets_held(pid) - 1 for pid in workers]  # less the listening socket
        answers = [timed_get(server.url + "/health") for _ in range(PROBES)]
    finally:
        attack.stop()
    assert held == [0, 56]
    assert [(status, round(took, 2)) for status, took in answers if status != 200 or took >= 1] == []


def generate(url: str, key: str) -> int:
    request = urllib.request.Request(url + "/api/v1/generate", method="POST",
                                     data=json.dumps({"prompt": "hi", "provider": "openai"}).encode(),
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_slow_provider_calls_hold_only_their_own_requests(tmp_path_factory, migrated_db_url):
    key, calls = "k0123456789abcdef0", 4
    with ChatCompletionsServer(slow_seconds=5) as provider:  # the provider call of 5 s
        env = project_env(DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", CHIMERA_API_KEYS=key,
                          CHIMERA_THROTTLE_RATE="off", CHIMERA_PROVIDER_OPENAI_URL=provider.url("slow"),
                          CHIMERA_PROVIDER_OPENAI_API_KEY="e2e-openai-key", CHIMERA_PROVIDER_OPENAI_TIMEOUT="20")
        with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-slow-calls")) as server, \
                ThreadPoolExecutor(calls) as pool:
            pending = [pool.submit(generate, server.url, key) for _ in range(calls)]
            deadline = time.monotonic() + 10
            while len(provider.received) < calls and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(provider.received) == calls  # every call waits on the provider (5 s) now
            answers = [timed_get(server.url + "/health") for _ in range(PROBES)]
            overlapped = not any(call.done() for call in pending)
            statuses = [call.result(timeout=30) for call in pending]
    assert overlapped  # the probes ran while the one worker held every slow call
    assert statuses == [200] * calls
    assert [(status, round(took, 2)) for status, took in answers if status != 200 or took >= 1] == []
