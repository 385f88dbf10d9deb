"""API errors as JSON with the request ID; Django's own pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.urls("tests.observability.urls")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/api/test/auth", 401, "not_authenticated"),
    ("get", "/api/test/forbidden", 403, "permission_denied"),
    ("get", "/api/test/missing", 404, "not_found"),
    ("get", "/api/test/throttled", 429, "throttled"),
    ("get", "/api/test/django-404", 404, "not_found"),
    ("get", "/api/no/such/route", 404, "not_found"),
    ("get", "/api/test/django-500", 500, "server_error"),
    ("get", "/api/test/boom", 500, "server_error"),
    ("put", "/api/test/ok", 405, "method_not_allowed"),
])
def test_error_envelope(client, method, path, status, code):
    response = getattr(client, method)(path, HTTP_X_REQUEST_ID="err-1")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == "err-1" == response["X-Request-ID"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_messages_come_from_the_exception_and_never_from_a_crash(client):
    assert client.get("/api/test/forbidden").json()["error"]["message"] == "Not for you."
    assert client.get("/api/test/missing").json()["error"]["message"] == "No such widget."
    crash = client.get("/api/test/boom").json()["error"]["message"]
    assert "failed" in crash and "API view" not in crash  # the exception's text is not shown


def test_validation_errors_keep_the_field_details(client):
    response = client.post("/api/test/ok", {"name": "far too long a name"}, content_type="application/json",
                           HTTP_X_REQUEST_ID="val-1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["request_id"]) == ("invalid", "val-1")
    assert list(error["details"]) == ["name"]


def test_throttled_keeps_retry_after(client):
    response = client.get("/api/test/throttled")
    assert response["Retry-After"] == "7"
    assert "7 seconds" in response.json()["error"]["message"]


def test_unauthenticated_keeps_www_authenticate(client):
    assert client.get("/api/test/auth")["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(("path", "status"), [("/no/such/page", 404), ("/boom", 500)])
def test_non_api_paths_get_django_pages(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


def test_custom_prefixes(client, settings):
    settings.OBSERVABILITY = {"JSON_ERROR_PREFIXES": ["/no/"]}
    assert client.get("/no/such/page").json()["error"]["code"] == "not_found"
    assert client.get("/api/no/such/route")["Content-Type"].startswith("text/html")


def test_bad_request_under_api(client, settings):
    settings.ALLOWED_HOSTS = ["only.example"]
    response = client.get("/api/test/ok", HTTP_X_REQUEST_ID="host-1")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_request", "message": "The request could not be understood.",
                                        "request_id": "host-1"}
