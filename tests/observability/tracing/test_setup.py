"""Tracing in-process: instrumentation, excluded paths, the processor's counts and bounds, set-up."""

from __future__ import annotations

import threading
import time

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from observability.excluded_urls import compile_excluded
from observability.tracing import middleware as tracing_middleware
from observability.tracing import setup as tracing
from observability.tracing.configuration import TracingConfig
from observability.tracing.exporters import CountingExporter, ExportStats, clean_error
from observability.tracing.middleware import MIDDLEWARE_PATH
from observability.tracing.processor import ProcessLocalBatchProcessor

pytestmark = pytest.mark.urls("tests.observability.tracing.urls")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


# --- Requests through the instrumented Django stack (span_exporter fixture) -------------------


def test_a_request_gives_one_server_span_named_after_its_route(client, span_exporter):
    response = client.get("/items/7/")
    assert response.status_code == 200
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "GET items/<int:pk>/"
    assert span.kind == trace.SpanKind.SERVER
    assert span.attributes["http.route"] == "items/<int:pk>/"
    assert span.resource.attributes["service.name"] == "chimera-tests"


def test_the_response_carries_traceresponse(client, span_exporter):
    response = client.get("/items/1/")
    (span,) = span_exporter.get_finished_spans()
    context = span.get_span_context()
    assert response["traceresponse"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert context.trace_flags.sampled


def test_an_incoming_traceparent_keeps_its_trace_and_parent(client, span_exporter):
    client.get("/items/1/", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    (span,) = span_exporter.get_finished_spans()
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert f"{span.parent.span_id:016x}" == PARENT_ID
    assert span.parent.is_remote


@pytest.mark.parametrize(("path", "traced"), [
    ("/health", False), ("/health/ready", False), ("/health/", False),
    ("/healthcare", True), ("/api/healthcare/", True), ("/api/health", True), ("/admin/health/", True),
])
def test_excluded_paths_match_from_the_start_of_the_path(client, span_exporter, path, traced):
    client.get(path)
    assert len(span_exporter.get_finished_spans()) == (1 if traced else 0)


@pytest.fixture
def no_other_middleware(settings):
    settings.MIDDLEWARE = []


def test_excluded_paths_skip_the_host_check(no_other_middleware, client, span_exporter):
    # A load balancer probes with the instance's IP as Host. The official middleware validates the
    # Host (building the URL it matches exclusions against) even for a path it then excludes.
    assert client.get("/health", HTTP_HOST="10.1.2.3").status_code == 200
    assert span_exporter.get_finished_spans() == ()
    # Traced paths leave the Host to Django (CommonMiddleware), which is not installed here.
    assert client.get("/healthcare", HTTP_HOST="10.1.2.3").status_code == 200
    assert len(span_exporter.get_finished_spans()) == 1


def test_an_exception_in_a_view_is_recorded_on_the_span(client, span_exporter):
    client.raise_request_exception = False
    assert client.get("/boom/").status_code == 500
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code == trace.StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


def test_the_listed_tracing_middleware_is_not_spliced_again(span_exporter, settings):
    assert settings.MIDDLEWARE.count(MIDDLEWARE_PATH) == 1


def test_the_fixture_uninstalls_the_tracing(settings):
    assert tracing_middleware.installed() is None


@pytest.mark.parametrize(("patterns", "path", "matches"), [
    (["/health"], "/health", True), (["/health"], "/health/ready", True), (["/health"], "/healthz", False),
    (["/health"], "/api/healthcare/", False), (["/static/"], "/static/app.css", True),
    (["/api/v\\d+/ping"], "/api/v2/ping", True), (["/a", "/b"], "/b/c", True), (["/a$"], "/a/b", False),
])
def test_compile_excluded(patterns, path, matches):
    assert (compile_excluded(patterns).match(path) is not None) is matches


def test_no_patterns_exclude_nothing():
    assert compile_excluded([]) is None


# --- The processor: counts, drops, bounded shutdown -------------------------------------------


class GatedExporter(SpanExporter):
    """Exports once `gate` is set; fails or raises when asked to."""

    def __init__(self, result=SpanExportResult.SUCCESS, raises=False):
        self.gate, self.result, self.raises = threading.Event(), result, raises
        self.exported = 0

    def export(self, spans):
        self.gate.wait(30)
        if self.raises:
            raise ConnectionError("http://user:pw@collector:9411/api/v2/spans?key=secret refused")
        self.exported += len(spans)
        return self.result

    def shutdown(self):
        self.gate.set()


def make_tracer(exporter, **config):
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0,
                           **{"schedule_delay_millis": 20, **config})
    stats = ExportStats()
    processor = ProcessLocalBatchProcessor(config, stats=stats, exporter_factory=lambda _: exporter)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return provider.get_tracer("tests"), processor, stats


def end_spans(tracer, count):
    for number in range(count):
        tracer.start_span(f"span {number}").end()


def test_exported_spans_are_counted_with_the_last_result():
    exporter = GatedExporter()
    exporter.gate.set()
    tracer, processor, stats = make_tracer(exporter)
    end_spans(tracer, 5)
    processor.shutdown()
    assert (stats.exported, stats.dropped) == (5, 0)
    assert stats.snapshot()["last_export"]["result"] == "success"
    assert stats.snapshot()["last_export"]["at"].endswith("Z")


def test_a_full_queue_drops_spans_and_counts_them():
    exporter = GatedExporter()
    tracer, processor, stats = make_tracer(exporter, max_queue_size=4, max_export_batch_size=2)
    end_spans(tracer, 50)  # the exporter is stuck, so the queue fills
    assert stats.dropped >= 40
    exporter.gate.set()
    processor.shutdown(timeout=5)
    # A drop is counted from the queue's length just before the span goes in: cheap, and exact
    # but for the rare span the batch thread takes out at that very moment.
    assert 50 <= stats.exported + stats.dropped <= 52


def test_failed_and_raising_exports_count_as_dropped_with_a_clean_error():
    for exporter in (GatedExporter(SpanExportResult.FAILURE), GatedExporter(raises=True)):
        exporter.gate.set()
        tracer, processor, stats = make_tracer(exporter)
        end_spans(tracer, 3)
        processor.shutdown()
        last = stats.snapshot()["last_export"]
        assert (stats.exported, stats.dropped, last["result"]) == (0, 3, "failure")
        assert last["error"] and "pw@" not in last["error"] and "secret" not in last["error"]


def test_unsampled_spans_are_not_queued():
    exporter = GatedExporter()
    exporter.gate.set()
    tracer, processor, stats = make_tracer(exporter)
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    provider = TracerProvider(sampler=ALWAYS_OFF, shutdown_on_exit=False)
    provider.add_span_processor(processor)
    end_spans(provider.get_tracer("tests"), 3)
    processor.shutdown()
    assert (stats.exported, stats.dropped) == (0, 0)


def test_shutdown_gives_up_after_its_bound_when_the_exporter_hangs():
    exporter = GatedExporter()  # never released until shutdown
    tracer, processor, stats = make_tracer(exporter, schedule_delay_millis=10)
    end_spans(tracer, 3)
    time.sleep(0.1)  # the batch thread is now stuck in export()
    end_spans(tracer, 2)
    started = time.monotonic()
    processor.shutdown(timeout=0.5)
    assert time.monotonic() - started < 5
    assert stats.dropped >= 2
    assert not processor.active


def test_nothing_is_built_until_a_span_ends():
    built = []
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None)
    processor = ProcessLocalBatchProcessor(config, stats=ExportStats(), exporter_factory=built.append)
    assert built == []
    processor.shutdown()
    assert built == []


def test_clean_error_hides_credentials_and_query_strings():
    text = clean_error("POST https://user:pw@collector:4318/v1/traces?api_key=s3cret failed")
    assert text == "POST https://user:***@collector:4318/v1/traces?api_key=*** failed"
    assert len(clean_error("x" * 1000)) == 300


def test_counting_exporter_passes_the_shutdown_bound_when_the_inner_one_takes_it():
    calls = []

    class Inner(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

        def shutdown(self, timeout_millis=30_000, **kwargs):
            calls.append(timeout_millis)

    CountingExporter(Inner(), ExportStats()).shutdown(timeout_millis=1234)
    assert calls == [1234]


# --- setup_tracing() and tracing_status() with the process-wide state restored -------------------


@pytest.fixture
def global_tracing(settings, global_tracer_provider):
    """Let a test install the global provider and instrumentation; restore both afterwards."""
    from opentelemetry.instrumentation import propagators

    saved = (tracing._state, propagators.get_global_response_propagator())
    middleware, items = settings.MIDDLEWARE, list(settings.MIDDLEWARE)
    tracing._state = tracing._State()
    yield
    if tracing._state.processor is not None:
        tracing._state.processor.shutdown(0.5)
    if tracing._state.provider is not None and tracing._state.processor is not None:
        tracing.uninstrument_django()
    tracing._state, response = saved
    propagators.set_global_response_propagator(response)
    middleware[:] = items
    settings.MIDDLEWARE = middleware


def test_disabled_tracing_installs_nothing(global_tracing, settings):
    before = list(settings.MIDDLEWARE)
    assert tracing.setup_tracing(TracingConfig(enabled=False)) is False
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert before == settings.MIDDLEWARE
    assert tracing.tracing_status()["active"] is False


def test_setup_installs_once_per_process(global_tracing, settings):
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, service_name="once")
    assert tracing.setup_tracing(config) is True
    provider = trace.get_tracer_provider()
    assert provider.resource.attributes["service.name"] == "once"
    assert tracing.setup_tracing(config) is True
    assert trace.get_tracer_provider() is provider
    assert settings.MIDDLEWARE.count(MIDDLEWARE_PATH) == 1


def test_a_provider_installed_already_is_reused(global_tracing):
    existing = TracerProvider(shutdown_on_exit=False)
    trace.set_tracer_provider(existing)
    tracing.setup_tracing(TracingConfig(enabled=True, exporter_type="otlp", endpoint=None))
    assert trace.get_tracer_provider() is existing
    status = tracing.tracing_status()
    assert (status["active"], status["exporter"], status["endpoint"]) == (True, "external", None)
    tracing.uninstrument_django()


def test_status_has_the_shape_the_dashboard_reads(global_tracing, settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp_http",
                              "TRACING_ENDPOINT": "https://user:pw@otel.example/v1/traces?key=abc",
                              "TRACING_HEADERS": "authorization=s3cret"}
    tracing.setup_tracing()
    status = tracing.tracing_status()
    assert set(status) == {"enabled", "active", "exporter", "endpoint", "service_name", "sample_rate",
                           "last_export", "spans_exported", "spans_dropped"}
    assert (status["enabled"], status["active"], status["exporter"]) == (True, True, "otlp_http")
    assert status["endpoint"] == "https://user:***@otel.example/v1/traces?key=***"
    assert isinstance(status["sample_rate"], float)
    assert set(status["last_export"]) == {"result", "at", "error"}
    assert isinstance(status["spans_exported"], int) and isinstance(status["spans_dropped"], int)
    assert "s3cret" not in repr(status) and "pw" not in repr(status)


def test_request_id_middleware_tags_the_server_span(client, span_exporter):
    response = client.get("/items/3/", headers={"x-request-id": "req-abc-123"})
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["request.id"] == response["X-Request-ID"] == "req-abc-123"


def test_tracing_enabled_wins_over_otel_sdk_disabled(monkeypatch):
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0)
    provider = tracing.build_provider(config, SimpleSpanProcessor(exporter))
    provider.get_tracer("tests").start_span("kept").end()
    provider.shutdown()
    assert [span.name for span in exporter.get_finished_spans()] == ["kept"]


@pytest.mark.parametrize("fork", [False, True], ids=["this-process", "forked-child"])
def test_spans_carry_the_instance_id_journal_entries_and_metrics_carry(monkeypatch, fork):
    """A provider built before a fork (a preloading gunicorn master) gives the child's spans the child's ID."""
    import json
    import os

    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from observability.instance import instance_id

    # Set by the operator, it would otherwise be every worker's.
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=shared-by-all")
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0)
    provider = tracing.build_provider(config, SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    if not fork:
        tracer.start_span("here").end()
        (span,) = exporter.get_finished_spans()
        assert span.resource.attributes["service.instance.id"] == instance_id()
        return
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports what its span carries and its own ID, then leaves at once
        try:
            exporter.clear()
            tracer.start_span("in-child").end()
            (span,) = exporter.get_finished_spans()
            os.write(writing, json.dumps([span.resource.attributes["service.instance.id"], instance_id()]).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        carried, own = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert carried == own != instance_id()
