"""The OpenTelemetry internals observability.tracing.sdk relies on, pinned down one by one.

Each test names the private attribute it guards: an SDK or instrumentation upgrade that renames
or changes one fails here, by name, rather than somewhere deep in a request. That no other module
reaches into them is ``tests/test_library_internals.py``'s scan.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from observability.tracing import sdk


def test_tracer_provider_disabled_flag_is_what_otel_sdk_disabled_sets(monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = TracerProvider(shutdown_on_exit=False)
    assert provider._disabled is True, "TracerProvider._disabled no longer reflects OTEL_SDK_DISABLED"
    assert sdk.enable(provider)._disabled is False
    assert provider.get_tracer("t").start_span("s").is_recording(), "clearing _disabled no longer re-enables spans"


def test_django_instrumentor_names_its_middleware_in_opentelemetry_middleware():
    path = sdk.official_middleware_path(DjangoInstrumentor())
    assert path == "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware", (
        "DjangoInstrumentor._opentelemetry_middleware changed")


def test_the_official_middleware_keeps_its_tracer_and_exclusions_in_tracer_and_excluded_urls():
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

    saved = dict(vars(_DjangoMiddleware))
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("t")
    try:
        sdk.configure_official_middleware(tracer, "/health")
        assert _DjangoMiddleware._tracer is tracer, "_DjangoMiddleware._tracer is no longer the tracer it uses"
        assert _DjangoMiddleware._excluded_urls.url_disabled("http://h/health"), "_DjangoMiddleware._excluded_urls"
    finally:
        for name in ("_tracer", "_excluded_urls"):
            setattr(_DjangoMiddleware, name, saved[name])


def test_the_http_semantic_conventions_mode_and_schema_url_come_from_semconv():
    from opentelemetry.instrumentation._semconv import _StabilityMode
    from opentelemetry.instrumentation.wsgi import collect_request_attributes

    mode, schema_url = sdk.http_semconv()
    assert isinstance(mode, _StabilityMode), "_semconv's stability mode moved"
    assert schema_url.startswith("https://opentelemetry.io/schemas/"), "_semconv._get_schema_url changed"
    attributes = collect_request_attributes({"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http",
                                             "SERVER_NAME": "h", "SERVER_PORT": "80", "PATH_INFO": "/"}, mode)
    assert "http.method" in attributes or "http.request.method" in attributes


def test_the_global_tracer_provider_lives_in_trace_tracer_provider():
    assert hasattr(trace, "_TRACER_PROVIDER"), "opentelemetry.trace._TRACER_PROVIDER is gone"
    assert hasattr(trace, "_TRACER_PROVIDER_SET_ONCE"), "opentelemetry.trace._TRACER_PROVIDER_SET_ONCE is gone"
    provider = TracerProvider(shutdown_on_exit=False)
    with sdk.own_global_tracer_provider():
        trace.set_tracer_provider(provider)  # the once-only API works again inside the block
        assert trace.get_tracer_provider() is provider
        previous = sdk.swap_global_tracer_provider(None)
        assert previous is provider
    assert trace.get_tracer_provider() is not provider



def spans_of_two_resources_and_scopes():
    """Finished spans as a batch holds them: two resources, two scopes each, events, links, a remote parent."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

    memory, spans = InMemorySpanExporter(), []
    remote = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(1))
    for service in ("a", "b"):
        provider = TracerProvider(resource=Resource.create({"service.name": service}), shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(memory))
        for scope in ("one", "two"):
            tracer = provider.get_tracer(scope, "1.0", schema_url="https://opentelemetry.io/schemas/1.11.0")
            for number in range(3):
                parent = trace.set_span_in_context(NonRecordingSpan(remote)) if number == 0 else None
                span = tracer.start_span(f"GET /{number}", parent, trace.SpanKind.SERVER,
                                         attributes={"http.route": f"/{number}", "n": number, "ok": True},
                                         links=[Link(remote, {"why": "test"})])
                span.add_event("e", {"k": [1, 2]})
                span.set_status(Status(StatusCode.ERROR, "broke") if number == 2 else Status(StatusCode.OK))
                span.end()
    spans.extend(memory.get_finished_spans())
    # Interleaved, as a batch of several threads' spans is.
    return spans[0::2] + spans[1::2]


def test_a_batch_encoded_in_slices_is_the_official_encoding_to_the_byte():
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    spans = spans_of_two_resources_and_scopes()
    official = encode_spans(spans).SerializeToString()
    assert sdk.encode_spans_in_slices(spans).SerializeToString() == official, (
        "the OTLP encoder's _encode_span, _encode_resource or _encode_instrumentation_scope changed")
    assert sdk.encode_spans_in_slices([]).SerializeToString() == encode_spans([]).SerializeToString()


def test_the_grpc_exporter_sends_what_the_official_one_sends_and_encodes_in_slices(monkeypatch):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    from tests.support.receivers import OTLPGrpcReceiver

    sliced_calls = []
    encode = sdk.encode_spans_in_slices
    monkeypatch.setattr(sdk, "encode_spans_in_slices", lambda spans: sliced_calls.append(len(spans)) or encode(spans))
    spans = spans_of_two_resources_and_scopes()
    receiver = OTLPGrpcReceiver()
    try:
        for exporter_class in (OTLPSpanExporter, sdk.sliced_grpc_exporter_class()):
            exporter = exporter_class(endpoint=receiver.endpoint, insecure=True, timeout=10)
            try:
                assert exporter.export(spans) is SpanExportResult.SUCCESS
            finally:
                exporter.shutdown()
    finally:
        receiver.stop()
    assert sliced_calls == [len(spans)], "OTLPSpanExporter._translate_data is no longer how export() encodes"
    official, sliced = receiver.bodies
    assert sliced == official
