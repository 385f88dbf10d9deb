"""Background tasks under real parts: gunicorn, a prefork Celery worker on Redis, an OTLP receiver.

One worker, server, provider and receiver serve the whole module; the last tests stop the
worker (a warm shutdown with a task running, then the dashboard without any worker).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.test_service import API_KEY, post
from tests.support.celery_worker import CeleryWorker, celery_redis_url, flush
from tests.support.chat_server import ChatCompletionsServer
from tests.support.processes import Gunicorn, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTH = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def broker(redis_url):
    url = celery_redis_url(redis_url)
    flush(url)
    yield url
    flush(url)


@pytest.fixture(scope="module")
def provider():
    with ChatCompletionsServer() as server:
        yield server


@pytest.fixture(scope="module")
def env(migrated_db_url, broker, provider, otlp_http_receiver):
    return project_env(
        DJANGO_SETTINGS_MODULE="tests.e2e.celery_settings", DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="2",
        CELERY_BROKER_URL=broker, CELERY_TASK_TIME_LIMIT="20", LOG_FORMAT="json", CHIMERA_API_KEYS=API_KEY,
        CHIMERA_PROVIDER_OPENAI_URL=provider.url("ok"), CHIMERA_PROVIDER_OPENAI_API_KEY="e2e-openai-key",
        CHIMERA_PROVIDER_GOOGLE_URL=provider.url("error"), CHIMERA_PROVIDER_GOOGLE_API_KEY="e2e-google-key",
        TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=otlp_http_receiver.endpoint,
        TRACING_SERVICE_NAME="chimera-e2e", OTEL_BSP_SCHEDULE_DELAY="100", HEALTH_CACHE_SECONDS="0",
    )


@pytest.fixture(scope="module")
def worker(env, tmp_path_factory):
    worker = CeleryWorker(env=env, log_dir=tmp_path_factory.mktemp("celery-worker")).start()
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def server(env, tmp_path_factory):
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-celery")) as gunicorn:
        yield gunicorn


@pytest.fixture
def running_worker(worker):
    """The module's worker, started again if a test before stopped it."""
    return worker if worker.running else worker.start()


@pytest.fixture
def fresh_worker(worker, env, tmp_path):
    """A worker of its own, whose pool has lost no process, the module's stopped so that it takes no task.

    The module's worker served the tests before, which kill pool processes (SIGKILL, time limits);
    after them its warm shutdown sometimes waited 30 s in billiard 4.3.2: a pool process in
    ``Worker._ensure_messages_consumed``, waiting for its parent to count a result it had sent.
    """
    worker.stop()
    fresh = CeleryWorker(env=env, log_dir=tmp_path / "fresh-worker").start()
    yield fresh
    fresh.stop()


def start(server, query: str = "", request_id: str | None = None) -> tuple[str, str]:
    """POST /start (the test app's view publishing a task): the task's ID and the request's trace ID."""
    request = urllib.request.Request(f"{server.url}/start{query}", method="POST",
                                     headers={**AUTH, **({"X-Request-ID": request_id} if request_id else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        trace_id = response.headers["traceresponse"].split("-")[1]
        return json.loads(response.read())["task_id"], trace_id


def task_status(server, task_id: str, until: tuple[str, ...] = ("success", "failure"), timeout: float = 20) -> dict:
    """GET /api/v1/tasks/<id> until its status is one of `until` (or `timeout` passes): the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, body = http_get(f"{server.url}/api/v1/tasks/{task_id}", AUTH)
        answer = json.loads(body)
        if status != 200 or answer["status"] in until or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def is_redis(span) -> bool:
    """A span of OpenTelemetry's Redis instrumentation (every redis-py client: the cache, the broker)."""
    return span.attributes.get("db.system") == "redis"


def test_one_request_id_and_one_trace_through_a_task_that_starts_a_task(server, running_worker, otlp_http_receiver):
    task_id, trace_id = start(server, request_id="celery-e2e-1")
    output = running_worker.wait_for("second task runs")
    lines = {line["message"]: line for line in running_worker.json_lines()
             if line.get("logger") == "tests.e2e.taskapp.tasks"}
    first, second = lines["first task runs"], lines["second task runs"]
    assert first["request_id"] == second["request_id"] == "celery-e2e-1", output
    assert (first["task_id"], first["task_name"], second["task_name"]) == (task_id, "taskapp.first", "taskapp.second")
    assert first["trace_id"] == second["trace_id"] == trace_id

    spans = otlp_http_receiver.wait_for(5, predicate=lambda span: span.trace_id == trace_id and not is_redis(span))
    by_name = {span.name: span for span in spans}
    assert set(by_name) == {"POST start", "apply_async/taskapp.first", "run/taskapp.first",
                            "apply_async/taskapp.second", "run/taskapp.second"}
    # The broker's own Redis commands (publishing, results) are client spans inside that trace.
    redis_spans = [span for span in otlp_http_receiver.spans() if span.trace_id == trace_id and is_redis(span)]
    assert {span.parent_id for span in redis_spans} <= {span.span_id for span in spans}
    chain = ["POST start", "apply_async/taskapp.first", "run/taskapp.first", "apply_async/taskapp.second",
             "run/taskapp.second"]
    assert by_name["POST start"].parent_id is None
    for parent, child in zip(chain, chain[1:], strict=False):
        assert by_name[child].parent_id == by_name[parent].span_id, (child, parent)
    assert by_name["run/taskapp.second"].attributes["request.id"] == "celery-e2e-1"
    assert {span.service_name for span in spans} == {"chimera-e2e"}


def test_async_generate_answers_202_then_the_result(server, running_worker, provider, otlp_http_receiver):
    status, headers, body = post(f"{server.url}/api/v1/generate", {"prompt": "hello later", "provider": "openai",
                                                                    "async": True},
                                 {**AUTH, "X-Request-ID": "celery-e2e-2"})
    assert status == 202, body
    assert body == {"task_id": body["task_id"], "status": "pending", "request_id": "celery-e2e-2"}
    assert headers["location"] == f"/api/v1/tasks/{body['task_id']}"
    answer = task_status(server, body["task_id"])
    assert answer == {"task_id": body["task_id"], "status": "success", "result": {
        "text": "echo: hello later", "provider": "openai", "model": "gpt-4o-mini", "request_id": "celery-e2e-2"}}
    # The worker's call to the provider carries the request's ID and continues its trace.
    # Celery's success line is there, without the provider's answer.
    output = running_worker.wait_for(f"{body['task_id']}] succeeded")
    assert f"{body['task_id']}] succeeded" in output and "echo: hello later" not in output
    call = provider.last()
    assert call.headers["x-request-id"] == "celery-e2e-2"
    trace_id = headers["traceresponse"].split("-")[1]
    assert call.headers["traceparent"].split("-")[1] == trace_id


def test_async_generate_failure_has_the_synchronous_code(server, running_worker):
    status, _, body = post(f"{server.url}/api/v1/generate", {"prompt": "fail later", "provider": "google",
                                                              "async": True}, AUTH)
    assert status == 202, body
    answer = task_status(server, body["task_id"])
    assert answer == {"task_id": body["task_id"], "status": "failure", "error": {
        "code": "provider_error", "message": "Provider google answered HTTP 500."}}
    assert "e2e-google-key" not in running_worker.output()


def test_unknown_task_is_404_in_the_error_envelope(server):
    status, _, body = http_get(f"{server.url}/api/v1/tasks/3f0c1d7e-0000-4000-8000-000000000000", AUTH)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    assert http_get(f"{server.url}/api/v1/tasks/3f0c1d7e-0000-4000-8000-000000000000")[0] == 401


def dashboard_celery(server) -> tuple[dict, float]:
    started = time.monotonic()
    status, _, body = http_get(f"{server.url}/api/v1/health/dashboard", AUTH, timeout=10)
    assert status in (200, 503), body
    return json.loads(body)["services"]["celery"], time.monotonic() - started


def test_celery_service_is_up_with_workers_and_queue_length(server, running_worker):
    celery, _ = dashboard_celery(server)
    assert celery["status"] == "up", celery
    assert celery["critical"] is False
    assert celery["details"]["workers"] == 1
    assert celery["details"]["queue"] == "celery"
    assert celery["details"]["queue_length"] >= 0
    anonymous = json.loads(http_get(f"{server.url}/api/v1/health/dashboard")[2])["services"]["celery"]
    assert "details" not in anonymous


def test_a_lost_pool_process_fails_its_task(server, running_worker):
    task_id, _ = start(server, "?sleep=30")
    running_worker.wait_for("sleep task starts")
    for pid in running_worker.pool_pids():  # the one running the task among them
        os.kill(pid, signal.SIGKILL)
    answer = task_status(server, task_id)
    assert answer == {"task_id": task_id, "status": "failure", "error": {
        "code": "worker_lost", "message": "The worker process running the task was lost."}}


def test_a_task_past_its_time_limit_is_stopped_and_fails(server, running_worker):
    starts = running_worker.output().count("sleep task starts")
    task_id, _ = start(server, "?sleep=30&limit=2")
    running_worker.wait_for("sleep task starts", count=starts + 1)
    started = time.monotonic()
    answer = task_status(server, task_id)
    assert answer == {"task_id": task_id, "status": "failure", "error": {
        "code": "task_time_limit", "message": "The task was stopped at its time limit."}}
    assert time.monotonic() - started < 10, running_worker.output()  # stopped at its limit, not after its 30 s
    assert "sleep task ends" not in running_worker.output()


def stored_state(broker: str, task_id: str) -> str | None:
    """The state the result store holds for a task (any task, not only generations)."""
    import redis

    client = redis.Redis.from_url(broker, socket_timeout=5)
    try:
        raw = client.get(f"celery-task-meta-{task_id}")
    finally:
        client.close()
    return json.loads(raw)["status"] if raw else None


def test_sigterm_lets_the_running_task_finish_and_its_spans_arrive(server, fresh_worker, broker, otlp_http_receiver):
    task_id, trace_id = start(server, "?sleep=2", request_id="celery-e2e-sigterm")
    fresh_worker.wait_for("sleep task starts")
    took = fresh_worker.stop(signal.SIGTERM)
    assert fresh_worker.process.returncode == 0, fresh_worker.output()
    assert took < 20
    assert "sleep task ends" in fresh_worker.output()
    assert stored_state(broker, task_id) == "SUCCESS"
    assert http_get(f"{server.url}/api/v1/tasks/{task_id}", AUTH)[0] == 404  # not a generation
    spans = otlp_http_receiver.wait_for(3, predicate=lambda span: span.trace_id == trace_id)
    assert "run/taskapp.sleep" in {span.name for span in spans}


def test_no_worker_is_degraded_within_the_check_timeout(server, worker):
    worker.stop()
    celery, took = dashboard_celery(server)
    assert celery["status"] == "degraded", celery
    assert celery["details"]["workers"] == 0
    assert "no worker answered" in celery["reason"]
    assert took < 2.5


def test_a_worker_without_a_broker_refuses_to_start(tmp_path):
    from tests.support.processes import ROOT

    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.celery_settings")
    result = subprocess.run([sys.executable, "-m", "celery", "-A", "chimera", "worker", "--pool", "solo"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "Configuration error: CELERY_BROKER_URL is not set" in result.stderr
