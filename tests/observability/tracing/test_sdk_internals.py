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

