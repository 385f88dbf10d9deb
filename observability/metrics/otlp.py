"""The OpenTelemetry side: each process pushes its own points over OTLP (or to the console).

A MeterProvider holds a reader thread and an exporter's channel, neither of which survives a
fork, so each process builds its own on its first recording: a gunicorn master that preloads
the app records nothing and so pushes nothing, and a forked worker (``os.register_at_fork``
drops what it inherited) starts afresh. Each provider's resource is the one tracing shares (``service.name``,
``service.version``, ``deployment.environment``) plus a ``service.instance.id`` of its own, so a
collector sums the workers' cumulative series. Exemplars come from the SDK's trace-based filter:
a duration recorded while a sampled span is current carries its trace and span ID.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from observability.exporting import build_resource
from observability.instance import instance_id
from observability.metrics.recording import Instrument, Record

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter

    from observability.metrics.configuration import MetricsConfig

__all__ = ["OTLPBackend", "build_exporter", "build_provider"]

_backends: weakref.WeakSet[OTLPBackend] = weakref.WeakSet()


class OTLPBackend:
    """Records into this process's OpenTelemetry instruments, built on first use."""

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self.forget_inherited()
        _backends.add(self)

    def forget_inherited(self) -> None:
        """Drop the provider this process may have inherited: its thread and channel stayed behind."""
        self._lock = threading.Lock()  # a lock held by another thread at the fork stays held in the child
        self.provider: MeterProvider | None = None
        self._instruments: dict[str, object] = {}
        self._closed = False

    def bind(self, instrument: Instrument) -> Record:
        """A function recording `instrument` with one attribute dict per label set."""
        if instrument.kind == "updown_counter":
            return self._bind_observed(instrument)
        method = {"histogram": "record", "gauge": "set"}.get(instrument.kind, "add")
        names = instrument.attributes
        attributes: dict[tuple[str, ...], dict[str, str]] = {}

        def record(value: float, labels: tuple[str, ...]) -> None:
            target = self._instruments.get(instrument.name) or self._create(instrument)
            if target is None:
                return
            attrs = attributes.get(labels)
            if attrs is None:
                attrs = attributes[labels] = dict(zip(names, labels, strict=True))
            getattr(target, method)(value, attrs)
        return record

    def _bind_observed(self, instrument: Instrument) -> Record:
        """An up-down counter kept in a dict and read by the SDK at each collection: a request that
        adds 1 and then -1 costs two dict updates instead of two passes through the SDK."""
        from opentelemetry.metrics import Observation

        values: dict[tuple[str, ...], float] = {}
        lock = threading.Lock()
        names = instrument.attributes

        def observe(options) -> list[Observation]:
            with lock:
                return [Observation(value, dict(zip(names, labels, strict=True))) for labels, value in values.items()]

        def record(value: float, labels: tuple[str, ...]) -> None:
            with lock:
                values[labels] = values.get(labels, 0.0) + value
            if instrument.name not in self._instruments:
                self._create(instrument, observe)
        return record

    def start(self) -> None:
        """Build this process's provider now rather than on the first recording."""
        with self._lock:
            if self.provider is None and not self._closed:
                self.provider = build_provider(self.config)

    def _create(self, instrument: Instrument, observe=None):
        with self._lock:
            if self._closed:
                return None
            if instrument.name not in self._instruments:
                if self.provider is None:
                    self.provider = build_provider(self.config)
                meter = self.provider.get_meter("observability")
                create = {"histogram": meter.create_histogram, "counter": meter.create_counter,
                          "updown_counter": meter.create_observable_up_down_counter,
                          "gauge": meter.create_gauge}[instrument.kind]
                extra = {"explicit_bucket_boundaries_advisory": list(instrument.buckets)} if instrument.buckets else {}
                if observe is not None:
                    extra = {"callbacks": [observe]}
                self._instruments[instrument.name] = create(instrument.name, unit=instrument.unit,
                                                            description=instrument.description, **extra)
            return self._instruments[instrument.name]

    def shutdown(self, timeout: float) -> None:
        """Push the last interval, giving up after `timeout` seconds whatever the collector does."""
        with self._lock:
            self._closed, provider = True, self.provider
        if provider is None:
            return
        closing = threading.Thread(target=provider.shutdown, kwargs={"timeout_millis": timeout * 1000},
                                   name="metrics-shutdown", daemon=True)
        closing.start()
        closing.join(timeout)


def _forget_after_fork() -> None:
    for backend in list(_backends):
        backend.forget_inherited()


os.register_at_fork(after_in_child=_forget_after_fork)


def build_provider(config: MetricsConfig) -> MeterProvider:
    """A MeterProvider pushing every export interval through the exporter `config` names."""
    from opentelemetry.sdk.metrics import MeterProvider, TraceBasedExemplarFilter
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    resource = build_resource(config.export).merge(_instance(instance_id(), os.getpid()))
    reader = PeriodicExportingMetricReader(build_exporter(config),
                                           export_interval_millis=config.export_interval * 1000,
                                           export_timeout_millis=config.export.export_timeout * 1000)
    return MeterProvider(metric_readers=[reader], resource=resource, exemplar_filter=TraceBasedExemplarFilter(),
                         shutdown_on_exit=False)


def _instance(instance_id: str, pid: int):
    from opentelemetry.sdk.resources import Resource

    return Resource({"service.instance.id": instance_id, "process.pid": pid})


def build_exporter(config: MetricsConfig) -> MetricExporter:
    """The push exporter of `config`: OTLP over gRPC or HTTP with the shared headers and timeout, or the console."""
    headers, timeout = dict(config.export.headers), config.export.export_timeout
    if config.push_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(endpoint=config.endpoint, insecure=urlsplit(config.endpoint).scheme == "http",
                                  headers=tuple(headers.items()) or None, timeout=timeout)
    if config.push_exporter == "otlp_http":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HTTPMetricExporter

        return HTTPMetricExporter(endpoint=config.endpoint, headers=headers or None, timeout=timeout)
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

    # One JSON object per line, like the console span exporter.
    return ConsoleMetricExporter(out=sys.stdout, formatter=lambda data: data.to_json(indent=None) + os.linesep)
