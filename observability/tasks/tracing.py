"""Spans of Celery tasks: OpenTelemetry's Celery instrumentation, installed where tracing is set up.

The instrumentation opens ``apply_async/<task>`` (a producer span) around publishing and
injects the W3C trace context into the message headers; the worker opens ``run/<task>`` (a
consumer span) under the context it extracts from them, so a task, and a task started by a
task, joins the trace of the request that published it. A task run eagerly has no message: its
``run/<task>`` span is a child of whatever span is current.
"""

from __future__ import annotations

from opentelemetry import trace

from observability import extras


def instrument_tracing() -> bool:
    """Instrument Celery with this process's tracer provider; False when tracing is off, it is done
    already, or the celery extra is missing (``manage.py check`` names it: observability.extras)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider) or not extras.installed("celery"):
        return False
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    instrumentor = CeleryInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        return False
    # Its one metric (flower.task.runtime.seconds, per task and worker host) is Flower's, not a
    # semantic convention: spans only, so no metrics backend gets a series nobody asked for.
    instrumentor.instrument(tracer_provider=provider, meter_provider=NoOpMeterProvider())
    return True


def uninstrument_tracing() -> None:
    """Undo instrument_tracing() (tests, benchmarks)."""
    if extras.installed("celery"):
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        CeleryInstrumentor().uninstrument()
