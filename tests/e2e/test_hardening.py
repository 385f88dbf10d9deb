"""Hostile input and unlucky operations under real gunicorn, with a real Redis and a stand-in provider.

One server for the module (one worker, so what a worker remembers and logs is seen by the next
request): a provider that trickles its answer, one that answers JSON nested 200,000 deep, a
Redis of the test's own that goes down and comes back.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.celery_worker import CeleryWorker
from tests.support.chat_server import ChatCompletionsServer
from tests.support.processes import Gunicorn, http_get, project_env
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = "k0123456789abcdef0"
PROVIDER_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def provider():
    with ChatCompletionsServer() as server:
        yield server


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db_url, provider, redis):
    env = project_env(
        DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", CHIMERA_API_KEYS=API_KEY, CACHE_URL=redis.url(3),
        CHIMERA_PROVIDER_OPENAI_URL=provider.url("trickle"), CHIMERA_PROVIDER_OPENAI_API_KEY="openai-key-1234",
        CHIMERA_PROVIDER_OPENAI_TIMEOUT=str(PROVIDER_TIMEOUT),
        CHIMERA_PROVIDER_GOOGLE_URL=provider.url("nested"), CHIMERA_PROVIDER_GOOGLE_API_KEY="google-key-1234",
    )
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-hardening")) as gunicorn:
        yield gunicorn


def call(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         **options) -> tuple[int, dict[str, str], bytes]:
    """One request with http.client (chunked bodies included): status, lower-cased headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {}, **options)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def generate(server, body, key: str | None = API_KEY, path: str = "/api/v1/generate", **headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({"X-API-Key": key} if key is not None else {}), **headers}
    return call(server, "POST", path, data, headers)


def error_of(status: int, headers: dict, body: bytes) -> tuple[int, str]:
    error = json.loads(body)["error"]
    assert error["request_id"] == headers["x-request-id"]
    return status, error["code"]


def dashboard(server) -> dict:
    request = urllib.request.Request(server.url + "/api/v1/health/dashboard?refresh=1", headers={"X-API-Key": API_KEY})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def test_a_trickling_provider_is_a_504_within_its_timeout(server):
    started = time.monotonic()
    answer = generate(server, {"prompt": "hi", "provider": "openai"})
    took = time.monotonic() - started
    assert error_of(*answer) == (504, "provider_timeout")
    assert took < PROVIDER_TIMEOUT + 1
    assert "WORKER TIMEOUT" not in server.stderr()


def test_a_deeply_nested_provider_answer_is_a_502_and_the_providers_failure(server):
    assert error_of(*generate(server, {"prompt": "hi", "provider": "google"})) == (502, "provider_error")
    items = {item["name"]: item for item in dashboard(server)["providers"]["items"]}
    assert items["google"]["available"] is False
    assert items["google"]["reason"].startswith("last call failed (error)")


def test_a_deeply_nested_body_is_400_parse_error(server):
    body = ('{"prompt":"x","a":' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    assert error_of(*generate(server, body)) == (400, "parse_error")


def test_a_chunked_body_is_read(server):
    chunks = iter([b'{"prompt"', b': "chunked ', b'hello"}'])
    status, _, body = call(server, "POST", "/api/v1/generate", chunks, encode_chunked=True,
                           headers={"Content-Type": "application/json", "X-API-Key": API_KEY,
                                    "Transfer-Encoding": "chunked"})
    assert status == 200, body
    assert json.loads(body)["text"].endswith(": chunked hello")


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_answer_put_405_in_json(server, path):
    status, headers, body = call(server, "PUT", path, b"{}", {"Content-Type": "application/json"})
    assert (status, headers["allow"], headers["content-type"]) == (405, "GET, HEAD", "application/json")
    assert error_of(status, headers, body) == (405, "method_not_allowed")


def test_an_unknown_format_has_a_code_of_its_own(server):
    assert error_of(*generate(server, {"prompt": "hi"}, path="/api/v1/generate?format=xml")) == \
        (406, "unsupported_format")


def test_an_empty_key_is_no_key_everywhere(server):
    assert error_of(*generate(server, {"prompt": "hi"}, key="")) == (401, "not_authenticated")
    assert error_of(*generate(server, {"prompt": "hi"}, key=None)) == (401, "not_authenticated")
    status, _, body = http_get(server.url + "/api/v1/health/dashboard", headers={"X-API-Key": ""})
    assert status in (200, 503) and "details" not in json.loads(body)["services"]["database"]
    status, _, _ = http_get(server.url + "/api/v1/health/dashboard", headers={"Authorization": "Bearer "})
    assert status in (200, 503)


def test_wrong_keys_are_throttled_per_address_and_valid_keys_are_not(server):
    statuses = [generate(server, {"prompt": "hi"}, key=f"guess-{n}") for n in range(150)]
    codes = [status for status, _, _ in statuses]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert int(statuses[-1][1]["retry-after"]) > 0
    assert generate(server, {"prompt": "hi"})[0] == 200  # the valid key, from the same address


def test_a_bad_host_is_one_warning_line_with_the_request_id(server):
    status, headers, _ = call(server, "GET", "/api/v1/health/dashboard", headers={"Host": "scanner.example"})
    assert status == 400
    request_id = headers["x-request-id"]
    log = server.wait_for_stdout(request_id)
    lines = [line for line in log.splitlines() if request_id in line and "gunicorn" not in line
             and '"GET ' not in line]
    assert len(lines) == 1, lines
    assert " WARNING django.security.DisallowedHost " in lines[0]
    assert "Invalid HTTP_HOST header: 'scanner.example'" in lines[0]
    assert "Traceback" not in log


def test_a_redis_outage_is_served_with_one_warning_and_shown_on_the_dashboard(server, redis):
    assert generate(server, {"prompt": "hi"})[0] == 200  # the cache is up: throttling counts there
    redis.stop()
    try:
        assert [generate(server, {"prompt": f"hi {n}"})[0] for n in range(30)] == [200] * 30
        board = dashboard(server)
        assert board["services"]["cache"]["status"] == "down"
        assert board["status"] == "degraded"  # not down: the cache is not critical here
        assert http_get(server.url + "/health/ready")[0] == 200
    finally:
        redis.start()
    log = server.stdout()
    assert len(re.findall(r"WARNING observability\.fail_open .*Throttling of POST /api/v1/generate is unavailable",
                          log)) == 1
    time.sleep(5.5)  # the cache is asked again once the pause after a failure is over
    assert generate(server, {"prompt": "back"})[0] == 200
    assert dashboard(server)["services"]["cache"]["status"] == "up"


# --- Background tasks on a broker of the test's own: full, expired, frozen ----------------------

QUEUE_MAX = 3


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("broker")) as server:
        yield server


@pytest.fixture(scope="module")
def queue_env(migrated_db_url, broker):
    return project_env(DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", CHIMERA_API_KEYS=API_KEY,
                       CHIMERA_THROTTLE_RATE="off", CELERY_BROKER_URL=broker.url(0),
                       CELERY_QUEUE_MAX_LENGTH=str(QUEUE_MAX), CELERY_TASK_EXPIRES="2")


@pytest.fixture(scope="module")
def queued_server(tmp_path_factory, queue_env):
    with Gunicorn(env=queue_env, log_dir=tmp_path_factory.mktemp("gunicorn-queue")) as gunicorn:
        yield gunicorn


def test_forty_parallel_first_schema_requests_all_answer(tmp_path, migrated_db_url):
    # A fresh server as bin/serve runs it (two threaded workers): the schema not generated yet.
    with (Gunicorn(env=project_env(DATABASE_URL=migrated_db_url), log_dir=tmp_path / "gunicorn") as fresh,
          ThreadPoolExecutor(40) as pool):
        statuses = list(pool.map(lambda _: call(fresh, "GET", "/api/schema/")[0], range(40)))
    assert statuses == [200] * 40, Counter(statuses)


def test_a_full_queue_is_503_and_tasks_waiting_past_their_expiry_are_not_run(queued_server, queue_env, tmp_path):
    answers = [generate(queued_server, {"prompt": f"later {n}", "async": True}) for n in range(QUEUE_MAX + 1)]
    assert [status for status, _, _ in answers[:QUEUE_MAX]] == [202] * QUEUE_MAX
    assert error_of(*answers[-1]) == (503, "queue_full")
    time.sleep(2.5)  # past CELERY_TASK_EXPIRES: the worker that comes now drops them
    worker = CeleryWorker(env=queue_env, log_dir=tmp_path / "worker").start()
    try:
        for _, _, body in answers[:QUEUE_MAX]:
            path = f"/api/v1/tasks/{json.loads(body)['task_id']}"
            deadline = time.monotonic() + 15
            while (answer := json.loads(call(queued_server, "GET", path, headers={"X-API-Key": API_KEY})[2])
                   )["status"] == "pending" and time.monotonic() < deadline:
                time.sleep(0.2)
            assert answer["status"] == "failure" and answer["error"]["code"] == "task_expired", answer
        assert generate(queued_server, {"prompt": "now", "async": True})[0] == 202  # the queue was emptied
    finally:
        worker.stop()
    assert "later 0" not in worker.output()


def test_a_frozen_broker_is_503_within_seconds_and_holds_no_thread(queued_server, broker):
    status, _, body = generate(queued_server, {"prompt": "before", "async": True})
    assert status == 202, body
    task = f"/api/v1/tasks/{json.loads(body)['task_id']}"
    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert error_of(*generate(queued_server, {"prompt": "frozen", "async": True})) == (503, "queue_unavailable")
        first = time.monotonic() - started
        started = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda n: generate(queued_server, {"prompt": f"f{n}", "async": True}), range(20)))
        burst = time.monotonic() - started
        assert {error_of(*answer) for answer in answers} == {(503, "queue_unavailable")}
        assert error_of(*call(queued_server, "GET", task, headers={"X-API-Key": API_KEY})) == \
            (503, "queue_unavailable")
        assert http_get(queued_server.url + "/health")[0] == 200
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    print(f"frozen broker: first 503 after {first:.2f} s, 20 more in {burst:.2f} s")
    assert first < 3 and burst < 2
    time.sleep(5.5)  # the queue is asked again once the pause after a failure is over
    assert generate(queued_server, {"prompt": "thawed", "async": True})[0] == 202
    assert json.loads(call(queued_server, "GET", task, headers={"X-API-Key": API_KEY})[2])["status"] == "pending"


def unix_get(path: Path, headers: str) -> bytes:
    """GET /health over a unix socket, as a proxy in front of gunicorn's unix:/path would send it."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_behind_a_proxy_on_a_unix_socket_the_client_is_the_one_it_names(tmp_path, migrated_db_url):
    bind = tmp_path / "gunicorn.sock"
    env = project_env(DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", GUNICORN_BIND=f"unix:{bind}",
                      TRUSTED_PROXIES="unix")
    gunicorn = Gunicorn(env=env, log_dir=tmp_path / "logs", bind_flag=False).start(wait_path=None)
    try:
        deadline = time.monotonic() + 30
        while not bind.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        answer = b""
        while not answer.startswith(b"HTTP/1.1 200") and time.monotonic() < deadline:
            try:
                answer = unix_get(bind, "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n")
            except OSError:
                time.sleep(0.2)
        assert answer.startswith(b"HTTP/1.1 200"), gunicorn.output()
        # The access line's address is REMOTE_ADDR: the proxy's nearest hop, not the client's own claim.
        log = gunicorn.wait_for_stdout('"GET /health HTTP/1.1" 200')
        assert re.search(r'^203\.0\.113\.7 "GET /health HTTP/1\.1" 200', log, flags=re.MULTILINE), log
    finally:
        gunicorn.stop()
