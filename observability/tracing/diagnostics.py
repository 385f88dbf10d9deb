"""What ``check_tracing`` tells an operator: the configuration in words, likely mistakes, a probe."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from observability.redaction import mask_url
from observability.tracing.exporters import CountingExporter, ErrorCapture, ExportStats, build_exporter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from observability.tracing.configuration import TracingConfig

PROBE_SPAN_NAME = "check_tracing"
IGNORED_OTEL = {
    "OTEL_TRACES_SAMPLER": "the sampler is always parent-based ratio; set TRACING_SAMPLE_RATE instead",
    "OTEL_TRACES_EXPORTER": "the exporter is TRACING_EXPORTER",
    "OTEL_PYTHON_DJANGO_EXCLUDED_URLS": "TRACING_EXCLUDED_URLS decides (matched from the path's start, "
                                        "where this variable's patterns match anywhere in the URL)",
    "OTEL_PYTHON_EXCLUDED_URLS": "TRACING_EXCLUDED_URLS decides",
}


def describe_sampler(rate: float) -> str:
    """The parent-based ratio sampler in words."""
    parent = ("A request whose caller sent a traceparent follows the caller's decision: recorded when "
              "it was sampled, not recorded when it was not.")
    if rate >= 1.0:
        own = "Every trace this service starts is recorded."
    elif rate <= 0.0:
        own = "No trace this service starts is recorded."
    else:
        own = (f"About {rate:.4g} of the traces this service starts ({rate * 100:.4g} %) are recorded, "
               "chosen by trace ID.")
    return f"Parent-based ratio sampling at {rate:g}. {own} {parent}"


def likely_mistakes(config: TracingConfig, environ: Mapping[str, str]) -> list[str]:
    """Warnings about values that are valid but probably not what the operator meant."""
    warnings = _endpoint_mistakes(config)
    for name in ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_ZIPKIN_TIMEOUT"):
        if config.sources.get("export_timeout") == name and config.export_timeout < 0.1:
            warnings.append(f"{name} is in milliseconds (as the specification says), so the export timeout is "
                            f"{config.export_timeout * 1000:g} ms; for seconds use TRACING_EXPORT_TIMEOUT_SECONDS.")
    warnings += [f"{name} is set but not used: {why}." for name, why in IGNORED_OTEL.items() if environ.get(name)]
    if config.enabled and environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        warnings.append("OTEL_SDK_DISABLED=true is overridden by TRACING_ENABLED=true.")
    if config.exporter_type == "console" and config.headers:
        warnings.append(f"{config.sources.get('headers')} is set but the console exporter sends no headers.")
    if config.enabled and config.shutdown_timeout > 25:
        warnings.append("TRACING_SHUTDOWN_TIMEOUT_SECONDS is close to gunicorn's default graceful timeout (30 s); "
                        "the worker_exit hook keeps the flush below GUNICORN_GRACEFUL_TIMEOUT.")
    return warnings


def _endpoint_mistakes(config: TracingConfig) -> list[str]:
    if not config.endpoint or config.exporter_type == "console":
        return []
    parts, source = urlsplit(config.endpoint), config.sources.get("endpoint", "the endpoint")
    warnings = []
    if config.uses_grpc:
        if parts.port == 4318:
            warnings.append(f"{source} uses port 4318, OTLP/HTTP's; {config.exporter_type} sends OTLP over gRPC "
                            "(port 4317). Use port 4317, or TRACING_EXPORTER=otlp_http.")
        if parts.path not in ("", "/"):
            warnings.append(f"{source} has a path ({parts.path}), which gRPC ignores: only host and port are used.")
    elif config.exporter_type == "otlp_http":
        if parts.port == 4317:
            warnings.append(f"{source} uses port 4317, OTLP/gRPC's; otlp_http sends OTLP over HTTP (port 4318). "
                            "Use port 4318, or TRACING_EXPORTER=otlp.")
        if not parts.path.endswith("/v1/traces"):
            warnings.append(f"{source} does not end with /v1/traces: the OTLP/HTTP exporter posts to the URL as "
                            "given, and collectors receive traces on /v1/traces.")
    elif config.exporter_type == "zipkin" and not parts.path.endswith("/api/v2/spans"):
        warnings.append(f"{source} does not end with /api/v2/spans, where Zipkin receives v2 JSON spans.")
    return warnings


@dataclass(frozen=True)
class ProbeResult:
    """Whether the receiver accepted the probe span, why not, and how long it took."""

    accepted: bool
    detail: str
    seconds: float


def probe(config: TracingConfig, timeout: float) -> ProbeResult:
    """Send one span named ``check_tracing`` through a freshly built exporter, within `timeout` seconds."""
    started = time.monotonic()
    stats = ExportStats()
    outcome: list[bool] = []
    with _captured_exporter_logs(stats):
        exporter = CountingExporter(build_exporter(replace(config, export_timeout=timeout)), stats)
        thread = threading.Thread(target=_export, args=(exporter, _probe_span(config), outcome), daemon=True)
        thread.start()
        thread.join(timeout + 1.0)
        with contextlib.suppress(Exception):
            exporter.shutdown(timeout_millis=0)
    seconds = time.monotonic() - started
    where = "the console" if config.exporter_type == "console" else mask_url(config.endpoint or "")
    if not outcome:
        return ProbeResult(False, f"{where} did not answer within {timeout:g} s.", seconds)
    if outcome[0]:
        return ProbeResult(True, f"accepted by {where} in {seconds * 1000:.0f} ms.", seconds)
    return ProbeResult(False, f"not accepted by {where}: {stats.last_error} ({reachability(config.endpoint)})",
                       seconds)


def reachability(endpoint: str | None, timeout: float = 2.0) -> str:
    """Whether a TCP connection to the endpoint's host and port opens: the first thing to rule out."""
    parts = urlsplit(endpoint or "")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the endpoint has no usable host and port"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return f"TCP connection to {host}:{port} refused: nothing listens there"
    except socket.gaierror:
        return f"host {host} not found"
    except TimeoutError:
        return f"TCP connection to {host}:{port} timed out"
    except OSError as exc:
        return f"TCP connection to {host}:{port} failed: {exc.strerror or exc}"
    return f"a TCP connection to {host}:{port} opens: something listens there but did not accept the span"


def _export(exporter: CountingExporter, span: ReadableSpan, outcome: list[bool]) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation
    from opentelemetry.sdk.trace.export import SpanExportResult

    with suppress_instrumentation():  # the exporter's own HTTP call is not traced
        outcome.append(exporter.export([span]) is SpanExportResult.SUCCESS)


def _probe_span(config: TracingConfig) -> ReadableSpan:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    from observability.exporting import build_resource
    from observability.tracing import sdk

    memory = InMemorySpanExporter()
    # The probe runs whatever OTEL_SDK_DISABLED says.
    provider = sdk.enable(TracerProvider(resource=build_resource(config), sampler=ALWAYS_ON, shutdown_on_exit=False))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.get_tracer("observability.check_tracing").start_span(PROBE_SPAN_NAME).end()
    return memory.get_finished_spans()[0]


@contextlib.contextmanager
def _captured_exporter_logs(stats: ExportStats) -> Iterator[None]:
    """The exporters' log lines go into `stats` instead of the output (which may be JSON)."""
    logger = logging.getLogger("opentelemetry.exporter")
    handler, propagate = ErrorCapture(stats), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
