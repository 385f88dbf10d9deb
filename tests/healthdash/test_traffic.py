"""Traffic for the admin page: per-route figures and quantiles from the duration histogram, rates."""

from __future__ import annotations

import math

import pytest
from django.test import Client

from healthdash.traffic import TrafficHistory, current_traffic, quantile, rates_between, summarize

NAME = "http_server_request_duration_seconds"


def test_quantiles_interpolate_within_a_bucket_as_prometheus_does():
    buckets = {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.7, buckets) == pytest.approx(0.3)
    assert quantile(0.95, buckets) == pytest.approx(0.75)
    assert quantile(0.5, {0.1: 0.0, math.inf: 0.0}) is None
    assert quantile(0.99, {0.1: 1.0, math.inf: 10.0}) == 0.1  # beyond the last bound: that bound


def test_routes_add_up_over_methods_and_statuses():
    def sample(route, status, suffix, value, le=None):
        labels = {"http_route": route, "http_response_status_code": status, "http_request_method": "GET"}
        return f"{NAME}_{suffix}", {**labels, **({"le": le} if le else {})}, value
    summary = summarize([
        sample("/a", "200", "count", 8), sample("/a", "503", "count", 2), sample("/b", "200", "count", 1),
        sample("/a", "200", "bucket", 8, "0.1"), sample("/a", "200", "bucket", 8, "+Inf"),
        sample("/a", "503", "bucket", 0, "0.1"), sample("/a", "503", "bucket", 2, "+Inf"),
        sample("/a", "200", "sum", 0.4),
    ])
    assert (summary["requests"], summary["errors"]) == (11, 2)
    first = summary["routes"][0]
    assert (first["route"], first["requests"], first["errors"], first["error_share"]) == ("/a", 10, 2, 0.2)
    assert (first["p50_ms"], first["p95_ms"]) == (62.5, 100.0)
    assert summary["routes"][1]["route"] == "/b"


def test_rates_between_refreshes():
    assert rates_between((10.0, 100, 1), (12.0, 110, 3)) == (5.0, 1.0)
    assert rates_between((10.0, 100, 1), (12.0, 5, 0)) == (0.0, 0.0)  # the server restarted
    history = TrafficHistory(size=3)
    for at, requests in ((1.0, 0), (1.5, 5), (2.0, 10), (3.0, 20), (4.0, 20), (5.0, 30)):
        history.record({"at": at, "requests": requests, "errors": 0})
    assert history.rates() == [(10.0, 0.0), (0.0, 0.0), (10.0, 0.0)]  # at most one a second, the latest kept


@pytest.mark.urls("tests.observability.urls")
def test_the_detailed_dashboard_carries_the_traffic_of_this_server(settings, use_api_keys):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY}  # a fresh in-memory registry for this test
    settings.ALLOWED_HOSTS = ["testserver"]
    use_api_keys("a-dashboard-key-0123456789")
    client = Client(raise_request_exception=False)
    client.get("/ok")
    client.get("/boom")
    traffic = current_traffic()
    assert {route["route"]: route["requests"] for route in traffic["routes"]} == {"/ok": 1, "/boom": 1}
    detailed = client.get("/api/v1/health/dashboard", HTTP_X_API_KEY="a-dashboard-key-0123456789").json()
    assert detailed["traffic"]["errors"] == 1 and detailed["traffic"]["at"] >= traffic["at"]
    assert "traffic" not in client.get("/api/v1/health/dashboard").json()  # anonymous callers get none
