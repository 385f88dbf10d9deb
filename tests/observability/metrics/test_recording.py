"""Recording in one process: the middleware, the /metrics view, the instruments other code feeds."""

from __future__ import annotations

import pytest
from django.test import Client

from observability.metrics.instruments import ACTIVE_REQUESTS, REQUEST_DURATION, SPANS_EXPORTED
from observability.metrics.middleware import MIDDLEWARE_PATH
from observability.metrics.recording import Instrument
from observability.metrics.setup import prometheus_backend
from observability.tracing.exporters import ExportStats

KEY = "a-metrics-key-for-tests-0123456789"
DURATION = "http_server_request_duration_seconds"


@pytest.fixture
def metrics(settings):
    """A fresh in-memory registry for this test (settings changes rebuild the backends)."""
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "API_KEYS": [KEY]}
    settings.ALLOWED_HOSTS = ["testserver"]

    def value(name: str, **labels: str) -> float:
        return prometheus_backend().registry.get_sample_value(name, labels) or 0.0
    return value


def count(metrics, route: str, status: str = "200", method: str = "GET") -> float:
    return metrics(f"{DURATION}_count", http_request_method=method, http_route=route,
                   http_response_status_code=status)


def test_instruments_have_the_names_a_collector_gives_them():
    assert REQUEST_DURATION.prometheus_name == DURATION
    assert REQUEST_DURATION.prometheus_labels == ("http_request_method", "http_route", "http_response_status_code")
    assert ACTIVE_REQUESTS.prometheus_name == "http_server_active_requests"
    assert SPANS_EXPORTED.prometheus_name == "tracing_spans_exported"  # exposed with _total
    with pytest.raises(ValueError, match="kind must be one of"):
        Instrument("x.y", "meter", "s", "nothing")


def test_the_middleware_comes_right_after_request_ids(settings):
    middleware = settings.MIDDLEWARE
    assert middleware[middleware.index("observability.middleware.RequestIDMiddleware") + 1] == MIDDLEWARE_PATH


@pytest.mark.urls("tests.observability.urls")
def test_requests_are_counted_by_method_route_and_status(metrics):
    client = Client(raise_request_exception=False)
    for _ in range(3):
        client.get("/ok")
    client.get("/boom")
    client.post("/api/test/ok", {"name": "x"}, content_type="application/json")
    client.generic("BREW", "/ok")
    client.get("/no/such/page")
    client.get("/health")
    client.get("/metrics", HTTP_X_API_KEY=KEY)
    assert count(metrics, "/ok") == 3
    assert count(metrics, "/boom", "500") == 1
    assert count(metrics, "/api/test/ok", method="POST") == 1
    assert count(metrics, "/ok", method="_OTHER") == 1  # methods outside HTTP's own share one value
    assert count(metrics, "unmatched", "404") == 1
    # Excluded paths by default: the probes and the scrapes themselves.
    assert count(metrics, "/health") == count(metrics, "/metrics") == 0
    assert metrics(f"{DURATION}_bucket", http_request_method="GET", http_route="/ok",
                   http_response_status_code="200", le="10.0") == 3
    assert metrics("http_server_active_requests", http_request_method="GET") == 0


@pytest.mark.urls("tests.observability.urls")
def test_excluded_urls_and_switching_metrics_off(metrics, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_EXCLUDED_URLS": "/ok"}
    client = Client()
    client.get("/ok")
    client.get("/redirect")
    assert count(metrics, "/ok") == 0 and count(metrics, "/redirect", "302") == 1
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_ENABLED": "false"}
    client.get("/redirect")
    assert prometheus_backend() is None  # nothing records, nothing is served
    assert client.get("/metrics", HTTP_X_API_KEY=KEY).status_code == 404


@pytest.mark.parametrize(("headers", "anonymous", "status"), [
    ({}, False, 401),
    ({"HTTP_AUTHORIZATION": f"Bearer {KEY}"}, False, 200),
    ({"HTTP_X_API_KEY": KEY}, False, 200),
    ({"HTTP_AUTHORIZATION": "Bearer wrong-key-0123456789"}, False, 401),
    ({"HTTP_AUTHORIZATION": f"Basic {KEY}"}, False, 401),
    ({}, True, 200),
    ({"HTTP_X_API_KEY": "wrong-key-0123456789"}, True, 401),  # a key sent must be valid
])
def test_who_may_read_metrics(metrics, settings, headers, anonymous, status):
    if anonymous:
        settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_ANONYMOUS": "true"}
    response = Client().get("/metrics", **headers)
    assert response.status_code == status
    assert "Authorization" in response["Vary"] and "no-cache" in response["Cache-Control"]
    if status == 200:
        assert response["Content-Type"].startswith("text/plain; version=")
        assert KEY not in response.content.decode()
    else:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


@pytest.mark.django_db
def test_a_staff_session_may_read_metrics(metrics, django_user_model):
    client = Client()
    user = django_user_model.objects.create_user("ops", password="pw-for-tests-only", is_staff=False)
    client.force_login(user)
    assert client.get("/metrics").status_code == 401
    user.is_staff = True
    user.save()
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "options"])
def test_metrics_answer_other_methods_405_in_json_without_csrf(metrics, method):
    client = Client(enforce_csrf_checks=True)  # as a real request meets CSRF: no HTML 403 page
    response = getattr(client, method)("/metrics", HTTP_X_API_KEY=KEY, HTTP_X_REQUEST_ID="metrics-405")
    assert (response.status_code, response["Allow"], response["Content-Type"]) == (405, "GET, HEAD",
                                                                                 "application/json")
    assert response.json()["error"] == {"code": "method_not_allowed", "request_id": "metrics-405",
                                        "message": f"{method.upper()} is not allowed here; use GET or HEAD."}
    assert client.head("/metrics", HTTP_X_API_KEY=KEY).status_code == 200


def test_metrics_are_not_served_without_the_prometheus_exporter(metrics, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_EXPORTER": "console",
                              "METRICS_EXPORT_INTERVAL_SECONDS": "3600"}
    assert Client().get("/metrics", HTTP_X_API_KEY=KEY).status_code == 404


def test_span_counts_are_published_by_the_process_stats_only(metrics):
    ExportStats(publish=True).record(3, True)
    ExportStats(publish=True).record(2, False)
    ExportStats(publish=True).drop(1)
    ExportStats().record(50, True)  # a probe's own stats
    assert metrics("tracing_spans_exported_total") == 3
    assert metrics("tracing_spans_dropped_total") == 3


@pytest.mark.urls("tests.observability.urls")
async def test_requests_served_asynchronously_are_counted_too(metrics):
    from django.test import AsyncClient

    response = await AsyncClient().get("/concurrent?sleep=0")
    assert response.status_code == 200
    assert count(metrics, "/concurrent") == 1
    assert metrics("http_server_active_requests", http_request_method="GET") == 0
