"""Asynchronous generation in-process: tasks run eagerly (no broker), results in a file store."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest
from billiard.exceptions import WorkerLostError
from celery.exceptions import TimeLimitExceeded
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from chimera import checks
from chimera.api.tasks import task_error
from chimera.tasks import TaskFailure, generate
from observability.fail_open import CacheGuard
from tests.chimera.conftest import API_KEY, GOOGLE_KEY


@pytest.fixture(autouse=True)
def queue_guard(monkeypatch):
    """A guard of the test's own: a failure in one test leaves the next one's queue reachable."""
    guard = CacheGuard("Background generation", backend="the task queue")
    monkeypatch.setattr("chimera.api.tasks.queue_guard", guard)
    return guard


@pytest.fixture
def api():
    return APIClient(HTTP_X_API_KEY=API_KEY)


def publish(api, **body):
    return api.post("/api/v1/generate", {"prompt": "later, please", "async": True, **body}, format="json",
                    HTTP_X_REQUEST_ID="async-req-1")


def test_async_answers_202_with_location_and_the_result_later(api, configure):
    accepted = publish(api)
    assert accepted.status_code == 202
    task_id = accepted.json()["task_id"]
    assert accepted.json() == {"task_id": task_id, "status": "pending", "request_id": "async-req-1"}
    assert accepted["Location"] == f"/api/v1/tasks/{task_id}"
    answer = api.get(accepted["Location"]).json()
    synchronous = api.post("/api/v1/generate", {"prompt": "later, please"}, format="json",
                           HTTP_X_REQUEST_ID="async-req-1").json()
    assert answer == {"task_id": task_id, "status": "success", "result": synchronous}


@pytest.mark.parametrize(("mode", "code"), [("error", "provider_error"), ("slow", "provider_timeout"),
                                            ("garbage", "provider_error")])
def test_a_failing_provider_is_a_failure_with_the_synchronous_code(api, remote, mode, code):
    remote(mode, timeout=0.3)
    task_id = publish(api, provider="google").json()["task_id"]
    answer = api.get(f"/api/v1/tasks/{task_id}").json()
    assert answer["status"] == "failure"
    assert answer["error"]["code"] == code and "google" in answer["error"]["message"]
    assert GOOGLE_KEY not in str(answer)


def test_request_errors_stay_synchronous(api, configure):
    assert publish(api, provider="nope").json()["error"]["code"] == "unknown_provider"
    assert publish(api, prompt="   ").json()["error"]["code"] == "prompt_empty"
    not_configured = publish(api, provider="google")
    assert (not_configured.status_code, not_configured.json()["error"]["code"]) == (503, "provider_not_configured")
    for value in ("yes", 1, None):
        refused = publish(api, **{"async": value})
        assert refused.status_code == 400 and "async" in refused.json()["error"]["details"]


def test_a_queue_that_cannot_be_reached_is_503(api, configure, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis://:secret@broker:6379/0")

    monkeypatch.setattr("chimera.api.tasks.generate.apply_async", down)
    refused = publish(api)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "queue_unavailable"
    assert "secret" not in refused.content.decode()


@pytest.mark.parametrize("task_id", ["3f0c1d7e-0000-4000-8000-000000000000", "not-a-uuid", "../../etc"])
def test_an_unknown_task_is_404_in_the_error_envelope(api, configure, task_id):
    response = api.get(f"/api/v1/tasks/{task_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_task_endpoint_needs_an_api_key(configure):
    assert APIClient().get("/api/v1/tasks/3f0c1d7e-0000-4000-8000-000000000000").status_code == 401
    assert APIClient(HTTP_X_API_KEY="wrong").get("/api/v1/tasks/x").status_code == 401


@pytest.mark.parametrize(("exc", "code"), [
    (TaskFailure("provider_timeout", "Provider google did not answer within 5 seconds."), "provider_timeout"),
    (TimeLimitExceeded(60), "task_time_limit"), (WorkerLostError("signal 9"), "worker_lost"),
    (RuntimeError("internal detail /srv/secret"), "task_error"),
])
def test_task_errors_have_codes_and_never_the_exception_text(exc, code):
    error = task_error(exc)
    assert error["code"] == code
    assert "secret" not in error["message"] and "signal 9" not in error["message"]


def test_w030_when_the_time_limit_leaves_no_room_for_a_provider(settings, remote):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_TASK_TIME_LIMIT = False, 6.0
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 5.0
    remote(timeout=5.0, CHIMERA_PROVIDER_OPENAI_TIMEOUT=4.0)
    [warning] = checks.check_task_time_limit()
    assert warning.id == "chimera.W030"
    assert "(CHIMERA_PROVIDER_GOOGLE_TIMEOUT=5)" in warning.msg and "CELERY_TASK_TIME_LIMIT=6" in warning.msg
    remote(timeout=4.0, CHIMERA_PROVIDER_OPENAI_TIMEOUT=4.0)
    assert checks.check_task_time_limit() == []
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no time limit applies to tasks run in the request
    remote(timeout=5.0)
    assert checks.check_task_time_limit() == []


def test_a_task_belongs_to_the_key_that_made_it(configure, use_api_keys):
    other = "another-api-key-0123456789abcdef"
    use_api_keys(API_KEY, other)
    location = publish(APIClient(HTTP_X_API_KEY=API_KEY))["Location"]
    assert APIClient(HTTP_X_API_KEY=API_KEY).get(location).json()["status"] == "success"
    stranger = APIClient(HTTP_X_API_KEY=other).get(location)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (404, "not_found")


def result_files() -> list[Path]:
    return sorted(Path(generate.backend.path.decode()).glob("celery-task-meta-*"))


def test_eager_results_are_private_files_that_expire(api, configure):
    location = publish(api)["Location"]
    task_id = location.rsplit("/", 1)[1]
    [stored] = [path for path in result_files() if path.name.endswith(task_id)]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    month_ago = time.time() - 35 * 86400
    os.utime(stored, (month_ago, month_ago))
    assert api.get(location).status_code == 404  # a day is what results are kept for
    assert not stored.exists()


def test_expired_eager_results_are_pruned_as_results_arrive(api, configure, monkeypatch):
    old = publish(api)["Location"].rsplit("/", 1)[1]
    [stored] = [path for path in result_files() if path.name.endswith(old)]
    os.utime(stored, (time.time() - 2 * 86400,) * 2)
    monkeypatch.setattr(generate.backend, "pruned_at", float("-inf"))
    publish(api)
    assert not stored.exists()


def test_without_a_broker_the_kept_results_bound_the_queue(api, configure, settings):
    settings.CELERY_QUEUE_MAX_LENGTH = len(result_files()) + 2
    assert [publish(api).status_code for _ in range(3)] == [202, 202, 503]
    refused = publish(api)
    assert refused.json()["error"]["code"] == "queue_full"


def test_the_result_is_never_logged_in_the_web_process(api, configure, caplog):
    caplog.set_level(logging.INFO, logger="celery.app.trace")
    task_id = publish(api).json()["task_id"]
    text = api.get(f"/api/v1/tasks/{task_id}").json()["result"]["text"]
    [line] = [record for record in caplog.records if "succeeded" in record.getMessage()]
    assert text not in line.getMessage() and text not in str(line.data)
    assert line.getMessage().endswith(": <result not logged>")


def test_a_result_store_that_cannot_be_reached_is_503_then_not_asked_for_a_while(api, configure, monkeypatch):
    location = publish(api)["Location"]
    calls = []

    def down(*args, **kwargs):
        calls.append(args)
        raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr("chimera.api.tasks.generate.backend.get_task_meta", down)
    answers = [api.get(location) for _ in range(3)]
    assert [(answer.status_code, answer.json()["error"]["code"]) for answer in answers] == \
        [(503, "queue_unavailable")] * 3
    assert len(calls) == 1  # the others did not wait for it
