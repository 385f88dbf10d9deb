"""Tracing set-up: provider, sampler, batch processor, exporter and Django instrumentation.

Nothing happens at import. ``ObservabilityConfig.ready()`` calls ``setup_tracing()``, which
installs everything once per process; with tracing disabled it installs nothing at all.
Under ``gunicorn --preload`` the worker's ``post_fork`` hook calls it again, and the worker
gets an exporter of its own; ``worker_exit`` calls ``shutdown_tracing()``, a bounded flush.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from observability.excluded_urls import compile_excluded
from observability.exporting import build_resource
from observability.instance import instance_id
from observability.redaction import mask_url
from observability.tracing.configuration import get_tracing_config
from observability.tracing.exporters import STATS, capture_exporter_errors

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    from observability.tracing.configuration import TracingConfig
    from observability.tracing.processor import ProcessLocalBatchProcessor

__all__ = [
    "build_provider", "instrument_django", "setup_tracing", "shutdown_tracing", "tracing_status",
    "uninstrument_django",
]

logger = logging.getLogger(__name__)


@dataclass
class _State:
    pid: int = 0
    config: TracingConfig | None = None
    provider: object | None = None
    processor: ProcessLocalBatchProcessor | None = None  # None: a provider installed by someone else


_state = _State()
_lock = threading.Lock()


def build_provider(config: TracingConfig, processor: SpanProcessor) -> TracerProvider:
    """A TracerProvider with the resource and parent-based ratio sampler `config` asks for."""
    from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, Resource
    from opentelemetry.sdk.trace import TracerProvider

    from observability.tracing import sdk
    from observability.tracing.sampling import PresetIdGenerator, RatioSampler

    # The process's own ID over one OTEL_RESOURCE_ATTRIBUTES may set, as metrics and the journal carry
    # it; in a child forked later the SDK puts the child's in its place (observability.instance).
    resource = build_resource(config).merge(Resource({SERVICE_INSTANCE_ID: instance_id()}))
    # The SDK reads OTEL_SDK_DISABLED by itself; TRACING_ENABLED decides here.
    provider = sdk.enable(TracerProvider(resource=resource, sampler=RatioSampler(config.sample_rate),
                                         id_generator=PresetIdGenerator()))
    provider.add_span_processor(processor)
    return provider


def instrument_django(provider: object, config: TracingConfig) -> bool:
    """Give TracingMiddleware its tracer; False when Django was instrumented already.

    Must run before the handler loads its middleware (``ready()`` does): instrumenting later,
    from a server hook, silently yields no spans. A project that does not list the middleware
    gets it spliced into MIDDLEWARE (``observability.pipeline``). The database and cache layers
    get their spans here too (``observability.tracing.datastores``).
    """
    from django.conf import settings
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.propagators import (
        TraceResponsePropagator,
        get_global_response_propagator,
        set_global_response_propagator,
    )

    from observability import pipeline
    from observability.tracing import datastores, middleware, sdk

    # opentelemetry-instrument (or the project) put the official middleware in already, or this ran before.
    if (DjangoInstrumentor().is_instrumented_by_opentelemetry or sdk.official_middleware_path() in settings.MIDDLEWARE
            or middleware.installed() is not None):
        return False
    semconv, schema_url = sdk.http_semconv()
    from opentelemetry.instrumentation.django.version import __version__

    tracer = provider.get_tracer(middleware.SCOPE_NAME, __version__, schema_url=schema_url)
    middleware.install(middleware.Tracing(tracer, compile_excluded(config.excluded_urls), semconv,
                                          provider))
    pipeline.splice(middleware.MIDDLEWARE_PATH)
    if get_global_response_propagator() is None:
        set_global_response_propagator(TraceResponsePropagator())
    datastores.instrument(provider, config)
    return True


def uninstrument_django() -> None:
    """Undo instrument_django(): handlers loaded from now on leave the middleware out (and MIDDLEWARE
    loses it if it was spliced in); the database and cache layers lose their spans."""
    from observability import pipeline
    from observability.tracing import datastores, middleware

    pipeline.unsplice(middleware.MIDDLEWARE_PATH)
    middleware.install(None)
    datastores.uninstrument()


def setup_tracing(config: TracingConfig | None = None) -> bool:
    """Install tracing in this process once (again after a fork); whether tracing is on."""
    config = get_tracing_config() if config is None else config
    if not config.enabled:
        return False
    with _lock:
        pid = os.getpid()
        if _state.pid == pid:
            return True
        if _state.pid:  # a forked child: same provider, an exporter of its own
            if _state.processor is not None:
                _state.processor.start()
            _state.pid = pid
            return True
        _install(config)
        _state.pid = pid
    return True


def _install(config: TracingConfig) -> None:
    from opentelemetry import trace

    from observability.tracing.processor import ProcessLocalBatchProcessor

    provider, processor = trace.get_tracer_provider(), None
    if isinstance(provider, trace.ProxyTracerProvider):
        processor = ProcessLocalBatchProcessor(config)
        provider = build_provider(config, processor)
        trace.set_tracer_provider(provider)
        capture_exporter_errors(STATS)
    else:
        logger.info("Tracing uses the tracer provider installed already (%s).", type(provider).__name__)
    instrument_django(provider, config)
    _state.config, _state.provider, _state.processor = config, provider, processor


def shutdown_tracing(timeout: float | None = None) -> None:
    """Flush this process's spans, giving up after `timeout` seconds (default: the configured bound)."""
    if _state.processor is not None:
        _state.processor.shutdown(timeout)


def tracing_status() -> dict:
    """What the health dashboard shows about tracing in this process; never a secret."""
    config = _state.config or get_tracing_config()
    installed = _state.provider is not None
    external = installed and _state.processor is None
    status = {
        "enabled": config.enabled,
        "active": installed and (external or _state.processor.active),
        "exporter": ("external" if external else config.exporter_type) if config.enabled else None,
        "endpoint": mask_url(config.endpoint) if config.enabled and config.endpoint and not external else None,
        "service_name": config.service_name,
        "sample_rate": float(config.sample_rate),
    }
    status.update(STATS.snapshot())
    return status
