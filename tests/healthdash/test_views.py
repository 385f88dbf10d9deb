"""The project's health URLs in-process: readiness, the dashboard's compatibility, IP Host probes."""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client

from healthdash.probe_hosts import is_ip_literal, probe_paths, replacement_host
from observability import lifecycle

pytestmark = pytest.mark.filterwarnings("ignore:No directory at")


async def asgi_get(path: str, host: str) -> int:
    """GET `path` through Django's ASGI handler with one Host header; the status code."""
    from django.core.handlers.asgi import ASGIHandler

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "query_string": b"", "headers": [(b"host", host.encode())],
             "client": ("10.0.0.9", 40000), "server": ("10.1.2.3", 80)}
    messages, requests, done = [], [{"type": "http.request", "body": b"", "more_body": False}], asyncio.Event()

    async def receive():
        if requests:
            return requests.pop()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await ASGIHandler()(scope, receive, send)
    return next(m["status"] for m in messages if m["type"] == "http.response.start")


@pytest.mark.django_db
def test_dashboard_compatibility_anonymous_on_a_healthy_system(client, project_services):
    response = client.get("/api/v1/health/dashboard")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"services", "middleware", "providers"} <= set(body)
    assert set(body["services"]) == set(project_services.names())
    assert all(service["registered"] is True for service in body["services"].values())
    assert body["providers"]["count"] == len(body["providers"]["items"])


@pytest.mark.django_db
def test_readiness_is_200_when_no_critical_service_is_down(client, project_services):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "up"}
    assert "no-store" in response["Cache-Control"]


def test_a_draining_process_is_not_ready_and_still_alive(client, monkeypatch):
    monkeypatch.setattr(lifecycle, "_drain_ends", 0.0)  # as a SIGTERM leaves it
    response = client.get("/health/ready")
    assert (response.status_code, response.json()) == (503, {"status": "draining"})
    assert "no-store" in response["Cache-Control"]
    assert client.get("/health").status_code == 200


@pytest.mark.django_db
def test_readiness_is_503_when_a_critical_service_is_down(client, project_services):
    def down():
        raise ConnectionRefusedError("nobody home")

    project_services.register("payments", down)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}


@pytest.mark.django_db
def test_readiness_ignores_non_critical_failures(client, project_services):
    project_services.register("search", lambda: 1 / 0, critical=False)
    response = client.get("/health/ready")
    assert (response.status_code, response.json()) == (200, {"status": "degraded"})


def test_readiness_refuses_writes(client):
    assert client.post("/health/ready").status_code == 405


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/startup", "/health/ready"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "options"])
def test_probes_answer_other_methods_405_in_json_without_csrf(path, method):
    # A browser-like client that enforces CSRF, as a real request meets it: no HTML 403 page.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path, HTTP_X_REQUEST_ID="probe-405")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "method_not_allowed", "request_id": "probe-405",
                                         "message": f"{method.upper()} is not allowed here; use GET or HEAD."}}


def test_probes_answer_head(client):
    assert client.head("/health").status_code == 200


class TestIpHostProbes:
    """Load balancers send the instance's IP as Host: answered for the probes only."""

    @pytest.mark.parametrize("host", ["10.1.2.3", "10.1.2.3:8000", "[fd00::1]", "[fd00::1]:8000"])
    def test_liveness_answers_an_ip_host(self, client, host):
        response = client.get("/health", HTTP_HOST=host)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    @pytest.mark.django_db
    def test_readiness_answers_an_ip_host(self, client, project_services):
        assert client.get("/health/ready", HTTP_HOST="172.31.5.9").status_code == 200

    @pytest.mark.parametrize("path", ["/api/v1/health/dashboard", "/admin/login/", "/health/", "/health/ready/x"])
    def test_other_paths_still_refuse_an_ip_host(self, client, path):
        assert client.get(path, HTTP_HOST="10.1.2.3").status_code == 400

    @pytest.mark.parametrize("host", ["evil.example", "10.1.2.3.evil.example", "localhost.evil"])
    def test_probes_still_refuse_a_name_not_allowed(self, client, host):
        assert client.get("/health", HTTP_HOST=host).status_code == 400

    def test_forwarded_host_is_still_checked(self, client, settings):
        settings.USE_X_FORWARDED_HOST = True
        assert client.get("/health", HTTP_HOST="10.1.2.3", HTTP_X_FORWARDED_HOST="evil.example").status_code == 400

    @pytest.mark.asyncio
    @pytest.mark.parametrize(("path", "status"), [("/health", 200), ("/admin/login/", 400)])
    async def test_under_asgi(self, path, status):
        assert await asgi_get(path, host="10.1.2.3") == status

    def test_an_allowed_ip_is_left_alone(self, settings):
        settings.ALLOWED_HOSTS = ["10.1.2.3", "app.example"]
        assert replacement_host("10.1.2.3") is None
        assert replacement_host("10.9.9.9") == "10.1.2.3"

    def test_replacement_is_an_allowed_name(self, settings):
        settings.ALLOWED_HOSTS = [".example.com"]
        assert replacement_host("10.1.2.3:80") == "example.com"
        settings.ALLOWED_HOSTS = ["*"]
        assert replacement_host("10.1.2.3") is None

    @pytest.mark.parametrize(("host", "expected"), [
        ("10.0.0.1", True), ("10.0.0.1:80", True), ("[::1]", True), ("[::1]:8080", True), ("::1", False),
        ("example.com", False), ("10.0.0.256", False), ("", False), ("1.2.3.4.example", False),
    ])
    def test_is_ip_literal(self, host, expected):
        assert is_ip_literal(host) is expected

    def test_probe_paths_come_from_the_urlconf(self):
        assert probe_paths() == {"/health", "/health/live", "/health/startup", "/health/ready"}


@pytest.mark.django_db
def test_a_failing_check_is_logged_with_the_request_id(client, project_services, caplog):
    import logging

    from observability.log_filters import RequestContextFilter

    def broken():
        raise RuntimeError("queue unreachable")

    project_services.register("queue", broken)
    context_filter = RequestContextFilter()
    caplog.handler.addFilter(context_filter)
    try:
        with caplog.at_level(logging.ERROR, logger="healthdash.runner"):
            response = client.get("/api/v1/health/dashboard", HTTP_X_REQUEST_ID="health-req-42")
    finally:
        caplog.handler.removeFilter(context_filter)
    assert response.status_code == 503
    assert response["X-Request-ID"] == "health-req-42"
    logged = [(r.getMessage().splitlines()[0], r.request_id) for r in caplog.records if r.name == "healthdash.runner"]
    assert logged == [("Health check queue is down: RuntimeError: queue unreachable", "health-req-42")]
    assert "Traceback" not in caplog.text and "Traceback" not in response.content.decode()
