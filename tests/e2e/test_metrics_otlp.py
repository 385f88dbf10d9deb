"""Metrics pushed over OTLP by gunicorn's workers, to real receivers (gRPC and HTTP).

Each worker pushes its own cumulative points with a resource of its own (service.instance.id,
process.pid) next to tracing's; the master pushes nothing, even when it preloads the app;
duration points of sampled requests carry exemplars naming spans the trace receiver got (half the
requests are sampled, all of them are counted); a
stopping worker pushes its last interval.
"""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import Gunicorn, http_get, project_env
from tests.support.prometheus import child_pids
from tests.support.receivers import OTLPGrpcReceiver, OTLPHttpReceiver, ReceivedPoint

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DURATION = "http.server.request.duration"


@pytest.fixture(scope="module")
def grpc_receiver():
    receiver = OTLPGrpcReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def http_receiver():
    receiver = OTLPHttpReceiver()
    yield receiver
    receiver.stop()


def otlp_env(**overrides: str) -> dict[str, str]:
    return project_env(**{
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings", "WEB_CONCURRENCY": "2", "TRACING_SERVICE_NAME": "metrics-e2e",
        "TRACING_SERVICE_VERSION": "9.9.9", "TRACING_DEPLOYMENT_ENVIRONMENT": "e2e", **overrides,
    })


ROUTE = "/concurrent"


def ok_points(receiver) -> list[ReceivedPoint]:
    return [p for p in receiver.points(DURATION) if p.attributes.get("http.route") == ROUTE]


def latest_count_per_instance(points: list[ReceivedPoint]) -> dict[str, float]:
    """Cumulative points: each instance's latest count is its total."""
    counts: dict[str, float] = defaultdict(float)
    for point in points:
        instance = point.resource["service.instance.id"]
        counts[instance] = max(counts[instance], point.value)
    return dict(counts)


def send_concurrently(server: Gunicorn, count: int) -> None:
    """`count` requests of 0.1 s each from 4 clients at once: one worker cannot take them all."""
    url = server.url + ROUTE + "?sleep=0.1"
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: http_get(url, headers={"Connection": "close"}, timeout=30)[0],
                                 range(count)))
    assert statuses == [200] * count


def wait_until(condition, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("preload", [False, True], ids=["workers-load-the-app", "master-preloads"])
def test_each_worker_pushes_its_own_points_with_exemplars(grpc_receiver, tmp_path, preload):
    grpc_receiver.clear()
    env = otlp_env(TRACING_ENABLED="true", TRACING_EXPORTER="otlp", TRACING_ENDPOINT=grpc_receiver.endpoint,
                   OTEL_BSP_SCHEDULE_DELAY="100", TRACING_SAMPLE_RATE="0.5", METRICS_EXPORTER="prometheus,otlp",
                   METRICS_ENDPOINT=grpc_receiver.endpoint, METRICS_EXPORT_INTERVAL_SECONDS="0.5")
    with Gunicorn(env=env, log_dir=tmp_path, args=["--preload"] if preload else []) as server:
        workers = child_pids(server.process.pid)
        send_concurrently(server, 40)
        counts = wait_until(lambda: (c := latest_count_per_instance(ok_points(grpc_receiver)))
                            and sum(c.values()) == 40 and c)
        assert counts and sum(counts.values()) == 40, counts
        points = ok_points(grpc_receiver)
        pids = {p.resource["process.pid"] for p in points}
        assert pids <= workers and server.process.pid not in pids
        assert {p.resource["process.pid"] for p in grpc_receiver.points()} <= workers  # the master pushes nothing
        assert len(pids) == 2 and len(counts) == 2  # both workers served; one service.instance.id each
        for point in points:
            assert point.resource["service.name"] == "metrics-e2e"
            assert point.resource["service.version"] == "9.9.9"
            assert point.resource["deployment.environment"] == "e2e"
            assert point.attributes == {"http.request.method": "GET", "http.route": ROUTE,
                                        "http.response.status_code": "200"}
        assert http_get(server.url + "/api/v1/health/dashboard")[0] in (200, 503)  # a run sets the health gauges
        health = wait_until(lambda: grpc_receiver.points("health.service.status"))
        assert {p.attributes["status"] for p in health} == {"up", "degraded", "down"}
        active = wait_until(lambda: grpc_receiver.points("http.server.active_requests"))
        assert active and {p.attributes["http.request.method"] for p in active} == {"GET"}
        traced = wait_until(lambda: {(s.trace_id, s.span_id) for s in grpc_receiver.spans()} or None)
        exemplars = {e for p in points for e in p.exemplars}
        assert exemplars, "no exemplar on the duration points"
        assert exemplars <= traced, "an exemplar names a span the trace receiver never got"


def test_two_workers_each_push_over_http_and_flush_when_stopping(http_receiver, tmp_path):
    http_receiver.clear()
    # An interval far longer than the test: points arrive only from the stopping workers' last push.
    env = otlp_env(METRICS_EXPORTER="otlp_http", METRICS_ENDPOINT=http_receiver.metrics_endpoint,
                   METRICS_EXPORT_INTERVAL_SECONDS="600", TRACING_SHUTDOWN_TIMEOUT_SECONDS="5")
    server = Gunicorn(env=env, log_dir=tmp_path).start()
    try:
        send_concurrently(server, 30)
        time.sleep(1)
        assert ok_points(http_receiver) == []
        assert http_get(server.url + "/metrics")[0] == 404  # prometheus is not an exporter here
    finally:
        seconds = server.stop()
    assert seconds < 20  # the last push waits for no interval: the flush is bounded, the collector answers
    counts = latest_count_per_instance(ok_points(http_receiver))
    assert sum(counts.values()) == 30, counts
    assert len({p.resource["process.pid"] for p in ok_points(http_receiver)}) == len(counts) == 2
