"""The OpenTelemetry internals this app relies on, all of them here and nowhere else.

Each has no public equivalent in the pinned SDK (1.45) and instrumentations (0.66b); each is
pinned down by a test in ``tests/observability/tracing/test_sdk_internals.py`` that fails,
naming the attribute, when an upgrade changes it.

- ``TracerProvider._disabled``: the provider reads ``OTEL_SDK_DISABLED`` by itself when it is
  built; ``TRACING_ENABLED`` decides here, so it is cleared.
- ``DjangoInstrumentor._opentelemetry_middleware``: the dotted path of the official middleware,
  which the system checks accept before ``RequestIDMiddleware`` (a project instrumented by
  ``opentelemetry-instrument`` has it) and the benchmarks compare with.
- ``_DjangoMiddleware`` and its ``_tracer`` and ``_excluded_urls``: the official middleware's
  class state, which the benchmarks set for each row they compare.
- ``_semconv``: which HTTP semantic conventions ``OTEL_SEMCONV_STABILITY_OPT_IN`` asks for
  (old, new or both) and their schema URL, so that ``TracingMiddleware`` names the same
  attributes the official middleware would.
- ``trace._TRACER_PROVIDER`` and ``_TRACER_PROVIDER_SET_ONCE``: the API lets a process set the
  global provider only once; tests and benchmarks swap it for a provider of their own and put
  the old one back.
- The OTLP encoder's ``_encode_span``, ``_encode_resource`` and ``_encode_instrumentation_scope``,
  and the gRPC exporter's ``_translate_data``: a batch is encoded one span at a time with a pause
  between spans (``encode_spans_in_slices``), to the same bytes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.instrumentation import _semconv
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.util._once import Once

if TYPE_CHECKING:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

__all__ = [
    "configure_official_middleware", "enable", "encode_spans_in_slices", "http_semconv", "official_middleware_path",
    "own_global_tracer_provider", "pause_between_spans", "sliced_grpc_exporter_class", "swap_global_tracer_provider",
]

# The export thread's pause between two spans. A pause of zero gives the GIL up and takes it straight
# back; a real sleep (the kernel's shortest, about 50 µs) lets a waiting request thread in.
SLICE_PAUSE_SECONDS = 1e-6


def enable(provider: TracerProvider) -> TracerProvider:
    """`provider`, recording whatever ``OTEL_SDK_DISABLED`` said when it was built.

    SDK 1.45: ``TracerProvider._disabled`` is read from the variable in ``__init__``. If it is
    renamed, ``OTEL_SDK_DISABLED=true`` silences tracing that ``TRACING_ENABLED`` turned on.
    """
    provider._disabled = False
    return provider


def official_middleware_path(instrumentor: DjangoInstrumentor | None = None) -> str:
    """The dotted path the Django instrumentor inserts at the start of ``MIDDLEWARE``.

    Django instrumentation 0.66b: ``DjangoInstrumentor._opentelemetry_middleware``. If it goes,
    the system checks and the benchmarks fail with an AttributeError at start-up.
    """
    return (instrumentor or DjangoInstrumentor())._opentelemetry_middleware


def configure_official_middleware(tracer: trace.Tracer, excluded_urls: str = "") -> None:
    """Give the official middleware class `tracer` and an exclusion list (benchmarks).

    ``DjangoInstrumentor().instrument()`` must have run once, for the class's meters. Django
    instrumentation 0.66b: the class reads ``_tracer`` and ``_excluded_urls`` on each request; if
    they are renamed, the benchmarks' official rows trace with the wrong provider.
    """
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
    from opentelemetry.util.http import parse_excluded_urls

    _DjangoMiddleware._tracer = tracer
    _DjangoMiddleware._excluded_urls = parse_excluded_urls(excluded_urls)


def http_semconv() -> tuple[object, str]:
    """The HTTP semantic-convention mode ``OTEL_SEMCONV_STABILITY_OPT_IN`` selects, and its schema URL.

    The mode is what ``opentelemetry.instrumentation.wsgi``'s public functions take.
    Instrumentation 0.66b: ``_semconv`` is a private module; if it changes, tracing's set-up
    fails with an ImportError or an AttributeError.
    """
    _semconv._OpenTelemetrySemanticConventionStability._initialize()
    mode = _semconv._OpenTelemetrySemanticConventionStability._get_opentelemetry_stability_opt_in_mode(
        _semconv._OpenTelemetryStabilitySignalType.HTTP)
    return mode, _semconv._get_schema_url(mode)


def swap_global_tracer_provider(provider: object) -> object:
    """Make `provider` the global tracer provider and return the one it replaces (tests, benchmarks).

    API 1.45: the global lives in ``trace._TRACER_PROVIDER``; if it moves, the swap has no effect
    and the tests and benchmarks that use it see the wrong provider.
    """
    previous = trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER = provider
    return previous


@contextmanager
def own_global_tracer_provider() -> Iterator[None]:
    """A block in which no global tracer provider is set yet (so ``set_tracer_provider()`` works once
    more) and providers may be swapped in; the process's own comes back afterwards (tests, benchmarks).

    API 1.45: ``trace._TRACER_PROVIDER`` and the ``Once`` in ``_TRACER_PROVIDER_SET_ONCE``; if
    either moves, ``set_tracer_provider()`` inside the block is refused with a warning.
    """
    saved = trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE
    trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = None, Once()
    try:
        yield
    finally:
        trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = saved


def pause_between_spans() -> None:
    """The export thread's pause after each span it encodes (CPython 3.11: a sleep of zero keeps the GIL)."""
    time.sleep(SLICE_PAUSE_SECONDS)


def encode_spans_in_slices(spans: Sequence[ReadableSpan], pause: Callable[[], None] = pause_between_spans,
                           ) -> ExportTraceServiceRequest:
    """``encode_spans(spans)``, the same message to the byte, calling `pause` after each span.

    Encoding a batch holds the GIL for milliseconds (about 45 µs a server span), and a request
    thread of the same worker waits for it up to the interpreter's switch interval (5 ms). Here it
    waits for one span's encoding at most. OTLP common 1.45: ``_encode_resource_spans`` groups
    spans by resource, then scope, in the order first seen, with the private encoders below; if
    they change, the byte-for-byte test in ``tests/observability/tracing/test_sdk_internals.py``
    fails.
    """
    from opentelemetry.exporter.otlp.proto.common._internal import _encode_instrumentation_scope, _encode_resource
    from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import _encode_span
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans

    grouped = defaultdict(lambda: defaultdict(list))
    for span in spans:
        grouped[span.resource][span.instrumentation_scope or None].append(_encode_span(span))
        pause()
    return ExportTraceServiceRequest(resource_spans=[
        ResourceSpans(
            resource=_encode_resource(resource),
            scope_spans=[ScopeSpans(scope=_encode_instrumentation_scope(scope), spans=encoded,
                                    schema_url=scope.schema_url if scope else None)
                         for scope, encoded in scopes.items()],
            schema_url=resource.schema_url,
        )
        for resource, scopes in grouped.items()
    ])


def sliced_grpc_exporter_class() -> type:
    """OpenTelemetry's OTLP/gRPC span exporter, encoding with `encode_spans_in_slices`.

    OTLP gRPC exporter 1.45: ``export()`` encodes through ``_translate_data(spans)``; if it is
    renamed, batches are encoded whole again (same bytes, the longer GIL hold), which the test
    of this function notices.
    """
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    class SlicedOTLPSpanExporter(OTLPSpanExporter):
        def _translate_data(self, data: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
            return encode_spans_in_slices(data)

    return SlicedOTLPSpanExporter
