"""Tracing under real gunicorn, against real receivers (OTLP/gRPC, OTLP/HTTP, Zipkin, console).

Receivers are shared by the module; each gunicorn runs with a short batch delay so spans
arrive quickly. Spans are matched by the request ID each request sends.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.support.processes import Gunicorn, free_port, http_get, project_env
from tests.support.receivers import (
    OTLPGrpcReceiver,
    OTLPHttpReceiver,
    ReceivedSpan,
    SilentListener,
    ZipkinReceiver,
    console_spans,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "e2e-hidden-token-5150"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def tracing_env(**overrides: str) -> dict[str, str]:
    """A project environment with tracing on, test routes and a short batch delay."""
    return project_env(**{
        "DJANGO_SETTINGS_MODULE": "tests.e2e.tracing_settings", "TRACING_ENABLED": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "100", "WEB_CONCURRENCY": "2", **overrides,
    })


@pytest.fixture(scope="module")
def receivers():
    """One receiver of each kind, for the whole module."""
    started = {"grpc": OTLPGrpcReceiver(), "http": OTLPHttpReceiver(), "zipkin": ZipkinReceiver()}
    yield started
    for receiver in started.values():
        receiver.stop()


@dataclass
class Traced:
    """A gunicorn server and where its spans go."""

    exporter: str
    server: Gunicorn
    receiver: object | None  # None: the console, read from the server's stdout

    def spans(self) -> list[ReceivedSpan]:
        return self.receiver.spans() if self.receiver is not None else console_spans(self.server.stdout())

    def wait_for(self, predicate, count: int = 1, timeout: float = 15) -> list[ReceivedSpan]:
        deadline = time.monotonic() + timeout
        while True:
            spans = [span for span in self.spans() if predicate(span)]
            if len(spans) >= count or time.monotonic() > deadline:
                return spans
            time.sleep(0.05)

    def get(self, path: str, **headers: str) -> tuple[int, dict, str]:
        """GET `path` with a fresh request ID; status, headers and that ID."""
        request_id = f"e2e-{uuid.uuid4()}"
        status, response_headers, _ = http_get(self.server.url + path, headers={"X-Request-ID": request_id, **headers})
        return status, response_headers, request_id


def by_request_id(request_id: str):
    return lambda span: span.attributes.get("request.id") == request_id


@contextlib.contextmanager
def serving(tmp_path_factory, exporter: str, receiver, *, args=(), **env: str):
    endpoint = {"TRACING_ENDPOINT": receiver.endpoint} if receiver is not None else {}
    environment = tracing_env(TRACING_EXPORTER=exporter, **endpoint, **env)
    with Gunicorn(env=environment, log_dir=tmp_path_factory.mktemp(f"gunicorn-{exporter}"), args=list(args)) as server:
        yield Traced(exporter, server, receiver)


EXPORTERS = {"otlp": "grpc", "jaeger": "grpc", "otlp_http": "http", "zipkin": "zipkin", "console": None}


@pytest.fixture(scope="module", params=list(EXPORTERS))
def traced(request, tmp_path_factory, receivers):
    """A server per exporter type, sending with a secret header; page is a query key whose values are shown."""
    receiver = receivers[EXPORTERS[request.param]] if EXPORTERS[request.param] else None
    with serving(tmp_path_factory, request.param, receiver, TRACING_SERVICE_NAME=f"svc-{request.param}",
                 TRACING_HEADERS=f"authorization=Bearer%20{SECRET}", REDACTION_SAFE_QUERY_KEYS="page") as server:
        yield server
        output = server.server.output()
    assert SECRET not in output


# --- Every exporter type ----------------------------------------------------------------------


def test_spans_arrive_with_service_name_route_and_request_id(traced):
    status, headers, request_id = traced.get("/items/42/")
    assert status == 200
    (span,) = traced.wait_for(by_request_id(request_id))
    assert span.service_name == f"svc-{traced.exporter}"
    assert span.name == "GET items/<int:pk>/"
    assert span.attributes["request.id"] == headers["x-request-id"] == request_id


def test_incoming_traceparent_keeps_its_trace_and_parent(traced):
    _, _, request_id = traced.get("/items/1/", traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01")
    (span,) = traced.wait_for(by_request_id(request_id))
    assert (span.trace_id, span.parent_id) == (TRACE_ID, PARENT_ID)


def test_response_carries_traceresponse_of_the_exported_span(traced):
    _, headers, request_id = traced.get("/items/2/")
    (span,) = traced.wait_for(by_request_id(request_id))
    version, trace_id, span_id, flags = headers["traceresponse"].split("-")
    assert (version, trace_id, span_id) == ("00", span.trace_id, span.span_id)
    assert int(flags, 16) & 1


def test_exporter_headers_reach_the_receiver_and_nothing_else(traced):
    _, _, request_id = traced.get("/items/3/")
    traced.wait_for(by_request_id(request_id))
    if traced.receiver is not None:
        assert any(h.get("authorization") == f"Bearer {SECRET}" for h in traced.receiver.requests)
    assert SECRET not in traced.server.output()  # the console exporter prints spans, never headers


def test_exported_spans_carry_no_query_value_but_the_safe_ones(traced):
    secrets = ("AK-span-6071", "RS-span-6072")
    _, _, request_id = traced.get(f"/items/44/?api_key={secrets[0]}&reset={secrets[1]}&page=2")
    (span,) = traced.wait_for(by_request_id(request_id))
    with_query = {key: value for key, value in span.attributes.items() if "?" in str(value) or key == "url.query"}
    assert with_query, "no attribute carries the query: the test sees nothing"
    assert all(str(value).endswith("api_key=***&reset=***&page=2") for value in with_query.values()), with_query
    assert not any(secret in str(span.attributes) + traced.server.output() for secret in secrets)


# --- Sampling, exclusions, OTEL_* precedence (one OTLP/gRPC server) ---------------------------------


@pytest.fixture(scope="module")
def unsampled(tmp_path_factory, receivers):
    """Sample rate 0 for traces this service starts."""
    with serving(tmp_path_factory, "otlp", receivers["grpc"], TRACING_SAMPLE_RATE="0",
                 TRACING_SERVICE_NAME="svc-rate-0") as server:
        yield server


def test_rate_zero_exports_only_requests_with_a_sampled_parent(unsampled):
    _, headers, alone = unsampled.get("/items/5/")
    _, _, unsampled_parent = unsampled.get("/items/6/", traceparent=f"00-{TRACE_ID}-{PARENT_ID}-00")
    _, _, sampled_parent = unsampled.get("/items/7/", traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01")
    (span,) = unsampled.wait_for(by_request_id(sampled_parent))
    assert span.parent_id == PARENT_ID
    time.sleep(0.5)  # the unsampled spans would have been in the same or an earlier batch
    assert unsampled.wait_for(lambda s: s.attributes.get("request.id") in (alone, unsampled_parent), timeout=0) == []
    assert "traceresponse" in headers  # still quotable, with the not-sampled flag
    assert int(headers["traceresponse"].rsplit("-", 1)[1], 16) & 1 == 0


@pytest.fixture(scope="module")
def otel_configured(tmp_path_factory, receivers):
    """Configured only through OTEL_* variables, but for TRACING_ENABLED and TRACING_EXPORTER."""
    receiver = receivers["http"]
    environment = tracing_env(
        TRACING_EXPORTER="otlp_http", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint.removesuffix("/v1/traces"),
        OTEL_SERVICE_NAME="svc-from-otel", OTEL_RESOURCE_ATTRIBUTES="service.version=9.9.9,team=tracing",
        OTEL_EXPORTER_OTLP_HEADERS="x-otel-key=from-otel", OTEL_PYTHON_DJANGO_EXCLUDED_URLS="items",
    )
    with Gunicorn(env=environment, log_dir=tmp_path_factory.mktemp("gunicorn-otel")) as server:
        yield Traced("otlp_http", server, receiver)


def test_otel_variables_apply_where_no_tracing_variable_is_set(otel_configured):
    _, _, request_id = otel_configured.get("/items/8/")
    (span,) = otel_configured.wait_for(by_request_id(request_id))
    assert span.service_name == "svc-from-otel"
    assert (span.resource["service.version"], span.resource["team"]) == ("9.9.9", "tracing")
    assert any(h.get("x-otel-key") == "from-otel" for h in otel_configured.receiver.requests)


def test_tracing_variables_win_over_otel(tmp_path_factory, receivers):
    with serving(tmp_path_factory, "otlp", receivers["grpc"], TRACING_SERVICE_NAME="svc-tracing-wins",
                 OTEL_SERVICE_NAME="svc-otel-loses", TRACING_SAMPLE_RATE="1", OTEL_TRACES_SAMPLER_ARG="0") as server:
        _, _, request_id = server.get("/items/9/")
        spans = server.wait_for(by_request_id(request_id))
    assert [span.service_name for span in spans] == ["svc-tracing-wins"]


def test_excluded_urls_match_from_the_start_of_the_path(otel_configured):
    # The default exclusions (/health, /health/ready) apply; OTEL_PYTHON_DJANGO_EXCLUDED_URLS=items does not.
    ids = {path: otel_configured.get(path)[2] for path in ("/health", "/health/ready", "/api/healthcare/", "/items/4/")}
    otel_configured.wait_for(by_request_id(ids["/items/4/"]))
    otel_configured.wait_for(by_request_id(ids["/api/healthcare/"]), timeout=5)
    traced_ids = {span.attributes.get("request.id") for span in otel_configured.spans()}
    assert {path for path, request_id in ids.items() if request_id in traced_ids} == {"/api/healthcare/", "/items/4/"}


# --- Fork safety and flushing on SIGTERM ------------------------------------------------------


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
def test_every_worker_exports_and_sigterm_right_after_the_last_request_delivers_all(
        tmp_path_factory, receivers, preload):
    service = f"svc-fork-{'preload' if preload else 'plain'}-{uuid.uuid4().hex[:6]}"
    # Batches would leave only every 60 s: what arrives was flushed by the stopping workers.
    with serving(tmp_path_factory, "otlp", receivers["grpc"], args=["--preload"] if preload else [],
                 TRACING_SERVICE_NAME=service, OTEL_BSP_SCHEDULE_DELAY="60000") as server:
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: server.get("/slow/")[0], range(16)))
        stopped_in = server.server.stop()
    assert statuses == [200] * 16
    spans = server.wait_for(lambda s: s.service_name == service, count=16, timeout=15)
    assert len(spans) == 16
    assert len({span.resource["service.instance.id"] for span in spans}) == 2, "a worker's spans are missing"
    assert stopped_in < 15


# --- An exporter that is down or hangs never fails or delays a request ------------------------


@pytest.mark.parametrize(("exporter", "collector"), [
    ("otlp", "down"), ("otlp", "silent"), ("otlp_http", "silent"), ("zipkin", "down"),
])
def test_unreachable_collector_fails_no_request_and_stops_within_the_bound(tmp_path, exporter, collector):
    listener = SilentListener() if collector == "silent" else None
    port = listener.port if listener else free_port()
    path = {"otlp": "", "otlp_http": "/v1/traces", "zipkin": "/api/v2/spans"}[exporter]
    environment = tracing_env(TRACING_EXPORTER=exporter, TRACING_ENDPOINT=f"http://127.0.0.1:{port}{path}",
                              TRACING_EXPORT_TIMEOUT_SECONDS="30", TRACING_SHUTDOWN_TIMEOUT_SECONDS="2",
                              OTEL_BSP_MAX_QUEUE_SIZE="8", OTEL_BSP_MAX_EXPORT_BATCH_SIZE="4")
    server = Gunicorn(env=environment, log_dir=tmp_path).start()
    try:
        slowest = 0.0
        for number in range(30):
            started = time.monotonic()
            status, _, _ = http_get(f"{server.url}/items/{number}/", timeout=10)
            slowest = max(slowest, time.monotonic() - started)
            assert status == 200
        stopped_in = server.stop()
    finally:
        server.stop()
        if listener:
            listener.stop()
    assert slowest < 3, f"a request took {slowest:.1f} s"
    # The flush gives up after 2 s; gunicorn's graceful timeout (30 s) is never reached.
    assert stopped_in < 12, server.output()


def test_the_dashboard_shows_tracing_active_and_stays_traced(otel_configured):
    status, _, request_id = otel_configured.get("/api/v1/health/dashboard")
    assert status in (200, 503)
    body = json.loads(http_get(otel_configured.server.url + "/api/v1/health/dashboard")[2])
    assert body["middleware"]["tracing"] == "active"
    assert otel_configured.wait_for(by_request_id(request_id)), "the dashboard request was not traced"
