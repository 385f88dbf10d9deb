"""How the tracing-only variables are checked, for the table in ``configuration``.

A parser gets the value and the name it was found under, and returns the parsed value or raises
``Invalid`` with a message naming both (secrets as ``'***'``). What every exporter shares (the
endpoint rule, headers, timeouts, the resource) is ``observability.exporting``'s.
"""

from __future__ import annotations

from observability.parsing import Invalid, Reader, as_number, must

EXPORTER_TYPES = ("otlp", "otlp_http", "jaeger", "zipkin", "console")
# Exporters speaking OTLP over gRPC: jaeger is Jaeger's own OTLP receiver.
GRPC_EXPORTERS = frozenset({"otlp", "jaeger"})
ZIPKIN_ENDPOINT = "http://localhost:9411/api/v2/spans"
EXPORTER_HINT = ("otlp is OTLP over gRPC (port 4317), otlp_http OTLP over HTTP (4318), jaeger sends OTLP to "
                 "Jaeger's own receiver, zipkin Zipkin v2 JSON, console prints spans.")
RATE_HINT = ("1.0 traces every request, 0.1 one in ten, 0.0 none (an incoming sampled traceparent is still "
             "honoured).")
DB_STATEMENTS_HINT = ("true puts each query's SQL, with its placeholders and never its values, on the database "
                      "spans; false leaves it out.")
BATCH_HINT = "OTEL_BSP_SCHEDULE_DELAY is in milliseconds; the queue and batch sizes count spans."


def exporter(value: object, name: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in EXPORTER_TYPES:
        return text
    raise Invalid(must(name, f"one of {', '.join(EXPORTER_TYPES)}", value))


def rate(value: object, name: str) -> float:
    number = as_number(value)
    if number is not None and 0.0 <= number <= 1.0:
        return number
    raise Invalid(must(name, "a number from 0.0 to 1.0", value))


def positive_int(value: object, name: str) -> int:
    text = value.strip() if isinstance(value, str) else ""
    if text.isdigit() and 0 < int(text) <= 1_000_000:
        return int(text)
    raise Invalid(must(name, "a whole number from 1 to 1000000", value))


def sdk_disabled(r: Reader) -> None:
    """``OTEL_SDK_DISABLED=true`` with TRACING_ENABLED unset: off, and said to be so by that variable."""
    if "enabled" not in r.values and r.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        r.sources["enabled"], r.origins["enabled"] = "OTEL_SDK_DISABLED", "environment OTEL_SDK_DISABLED"


def batch_within_queue(r: Reader, batch: int, queue: int) -> None:
    """A batch larger than the queue could never fill: a problem, and the batch shrunk to the queue."""
    if batch > queue:
        r.problem("observability.E024", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", f"OTEL_BSP_MAX_EXPORT_BATCH_SIZE "
                  f"({batch}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE ({queue}).",
                  "Make the batch size at most the queue size.")
        r.values["max_export_batch_size"] = queue
