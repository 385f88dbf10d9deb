"""Span exporters built from a TracingConfig, and the counters the health dashboard shows.

Exporters hold gRPC channels and HTTP sessions, which do not survive a fork: build one in the
process that uses it (``processor.ProcessLocalBatchProcessor`` does).
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from observability.metrics.instruments import SPANS_DROPPED, SPANS_EXPORTED
from observability.redaction import redact

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from observability.tracing.configuration import TracingConfig

MAX_ERROR_LENGTH = 300


class ExportStats:
    """What this process exported: counts and the last result. Cheap: updated once per batch.

    With `publish`, the counts also go to the metrics ``tracing_spans_exported_total`` and
    ``tracing_spans_dropped_total`` (the process's own exports; a probe's are not published).
    """

    def __init__(self, publish: bool = False) -> None:
        self._lock = threading.Lock()
        self.publish = publish
        self.reset()

    def reset(self) -> None:
        """Start from zero (a forked child counts its own spans)."""
        self.exported = self.dropped = 0
        self.last_result: str | None = None
        self.last_at: str | None = None
        self.last_error: str | None = None
        self.reported_error: str | None = None  # the exporter's own log line, for the next failure

    def record(self, count: int, success: bool, error: str | None = None) -> None:
        """Count one export of `count` spans."""
        with self._lock:
            if success:
                self.exported += count
            else:
                self.dropped += count
            self.last_result = "success" if success else "failure"
            self.last_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            self.last_error = None if success else error
        if self.publish:
            (SPANS_EXPORTED if success else SPANS_DROPPED).add(count)

    def drop(self, count: int) -> None:
        """Count spans lost without an export: a full queue, or left over at shutdown."""
        with self._lock:
            self.dropped += count
        if self.publish:
            SPANS_DROPPED.add(count)

    def snapshot(self) -> dict:
        """The counters as the health dashboard shows them."""
        return {
            "last_export": {"result": self.last_result, "at": self.last_at, "error": self.last_error},
            "spans_exported": self.exported,
            "spans_dropped": self.dropped,
        }


STATS = ExportStats(publish=True)


def clean_error(text: str) -> str:
    """An error message safe to show: on one line, redacted, bounded in length."""
    text = redact(" ".join(text.split()))
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 3] + "..."


class ErrorCapture(logging.Handler):
    """Keeps the exporters' own warning or error line: it says why an export failed."""

    def __init__(self, stats: ExportStats) -> None:
        super().__init__(logging.WARNING)
        self.stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = clean_error(record.getMessage())
        except Exception:  # a malformed log call must not break exporting
            message = str(record.msg)[:MAX_ERROR_LENGTH]
        # The first line of an export says why (connection refused); the last, that it gave up.
        reported = self.stats.reported_error
        self.stats.reported_error = message if reported is None else f"{reported.split(' | ')[0]} | {message}"


def capture_exporter_errors(stats: ExportStats = STATS) -> None:
    """Route the warnings of OpenTelemetry's exporters into `stats` (once per process)."""
    logger = logging.getLogger("opentelemetry.exporter")
    if not any(isinstance(h, ErrorCapture) and h.stats is stats for h in logger.handlers):
        logger.addHandler(ErrorCapture(stats))


def _nothing(count: int) -> None:
    pass


class CountingExporter(SpanExporter):
    """Wraps an exporter: counts exported and failed spans, and never lets an exception out.

    `taken` and `finished` hear how many spans each export takes off the batch queue and when it
    is done with them (the processor counts what is queued, which the SDK does not expose).
    """

    def __init__(self, inner: SpanExporter, stats: ExportStats = STATS,
                 taken: Callable[[int], None] = _nothing, finished: Callable[[int], None] = _nothing) -> None:
        self.inner, self.stats, self.taken, self.finished = inner, stats, taken, finished
        self._shutdown_takes_timeout = "timeout_millis" in inspect.signature(inner.shutdown).parameters

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.taken(len(spans))
        try:
            return self._export(spans)
        finally:
            self.finished(len(spans))

    def _export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.stats.reported_error = None
        try:
            result = self.inner.export(spans)
            error = None
        except Exception as exc:  # zipkin's requests errors, for one, come out raw
            result, error = SpanExportResult.FAILURE, clean_error(f"{type(exc).__name__}: {exc}")
        success = result is SpanExportResult.SUCCESS
        self.stats.record(len(spans), success, error or self.stats.reported_error or "the exporter reported a failure")
        return result

    def shutdown(self, timeout_millis: float = 30_000, **kwargs) -> None:
        if self._shutdown_takes_timeout:
            self.inner.shutdown(timeout_millis=timeout_millis)
        else:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


def build_exporter(config: TracingConfig) -> SpanExporter:
    """The exporter `config` names, sending to its endpoint with its headers and timeout."""
    headers = dict(config.headers)
    if config.exporter_type in ("otlp", "jaeger"):
        # The official exporter, encoding a batch in slices so the worker's requests need not
        # wait for a whole batch's encoding (docs/performance.md, "The sampled tail").
        from observability.tracing.sdk import sliced_grpc_exporter_class

        exporter_class = sliced_grpc_exporter_class()
        return exporter_class(endpoint=config.endpoint, insecure=urlsplit(config.endpoint).scheme == "http",
                              headers=tuple(headers.items()) or None, timeout=config.export_timeout)
    if config.exporter_type == "otlp_http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter

        return HTTPSpanExporter(endpoint=config.endpoint, headers=headers or None, timeout=config.export_timeout)
    if config.exporter_type == "zipkin":
        import requests
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        session = requests.Session()
        session.headers.update(headers)
        return ZipkinExporter(endpoint=config.endpoint, timeout=config.export_timeout, session=session)
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    # One JSON object per line: log collectors and tests read it line by line.
    return ConsoleSpanExporter(out=sys.stdout, formatter=lambda span: span.to_json(indent=None) + os.linesep)
