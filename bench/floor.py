"""The floor of a traced request, and what every traced row of the benchmarks exports through.

The floor is the least a server span can cost on the same SDK, batch processor and OTLP
encoding as the project: extract the incoming context with the WSGI getter, start a SERVER
span with method, path and scheme, set the route and the status once known, end it. Nothing
else: no current span, no traceresponse, no other attribute. Rows are measured against it.

Spans are encoded exactly as the OTLP exporters encode them (protobuf) and then dropped, so
the export thread's CPU time counts and the network's does not.
"""

from __future__ import annotations

import time

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.instrumentation.wsgi import wsgi_getter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from observability.tracing import sdk
from observability.tracing.configuration import TracingConfig
from observability.tracing.processor import ProcessLocalBatchProcessor
from observability.tracing.setup import build_provider

SERVER = trace.SpanKind.SERVER


class EncodingExporter(SpanExporter):
    """Encodes each batch as OTLP/protobuf, as the OTLP exporters do, and sends it nowhere.

    `sliced`: as the project's OTLP/gRPC exporter does, a span at a time with a pause between
    spans (the same bytes). `holds` keeps the export thread's CPU time of each uninterrupted piece
    of work in µs: a whole batch, or one span, the longest a request thread waits for it.
    """

    def __init__(self, sliced: bool = False) -> None:
        self.spans = self.bytes = 0
        self.sliced = sliced
        self.holds: list[float] = []

    def export(self, spans):
        self._since = time.thread_time()
        encoded = sdk.encode_spans_in_slices(spans, self._pause) if self.sliced else encode_spans(spans)
        self.bytes += len(encoded.SerializeToString())
        self.holds.append((time.thread_time() - self._since) * 1e6)
        self.spans += len(spans)
        return SpanExportResult.SUCCESS

    def _pause(self) -> None:
        self.holds.append((time.thread_time() - self._since) * 1e6)
        sdk.pause_between_spans()
        self._since = time.thread_time()

    def shutdown(self):
        pass


def provider(rate: float, batch_size: int = TracingConfig.max_export_batch_size,
             schedule_delay_millis: int = TracingConfig.schedule_delay_millis,
             exporter: EncodingExporter | None = None) -> TracerProvider:
    """The project's provider (sampler, per-process batch processor) exporting to an EncodingExporter."""
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=rate,
                           max_export_batch_size=batch_size, schedule_delay_millis=schedule_delay_millis)
    processor = ProcessLocalBatchProcessor(config, exporter_factory=lambda _: exporter or EncodingExporter())
    traced = build_provider(config, processor)
    traced.bench_exporter = exporter  # what it measured, for the tables
    return traced


class FloorMiddleware:
    """The minimal server span: the floor every traced row is compared with."""

    tracer: trace.Tracer | None = None  # set before a handler loads it

    def __init__(self, get_response):
        self.get_response = get_response
        self.tracer = FloorMiddleware.tracer

    def __call__(self, request):
        parent = propagate.extract(request.META, getter=wsgi_getter)
        span = self.tracer.start_span(request.method, parent, SERVER, attributes={
            "http.method": request.method, "http.target": request.path, "http.scheme": request.scheme})
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None:
            span.set_attribute("http.route", match.route)
        span.set_attribute("http.status_code", response.status_code)
        span.end()
        return response
