"""Asynchronous generation in-process: tasks run eagerly (no broker), results in a file store."""

from __future__ import annotations

import pytest
from billiard.exceptions import WorkerLostError
from celery.exceptions import TimeLimitExceeded
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from chimera import checks
from chimera.api.tasks import task_error
from chimera.tasks import TaskFailure
from tests.chimera.conftest import API_KEY, GOOGLE_KEY


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
