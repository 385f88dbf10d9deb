"""Metrics set-up: the backends the configuration needs, the middleware, and what a process does at its ends.

``ObservabilityConfig.ready()`` calls ``set_up_metrics()``: it records into the Prometheus files
when ``prometheus`` is an exporter, into OpenTelemetry's SDK when a push exporter is, and splices
``MetricsMiddleware`` into a ``MIDDLEWARE`` that does not list it (before the handler loads it).
Settings changes (``override_settings``) rebuild the backends. ``observability.processes`` calls
the rest.
"""

from __future__ import annotations

import threading
import time

from observability import pipeline
from observability.metrics import discovery, recording
from observability.metrics.configuration import MetricsConfig, get_metrics_config
from observability.metrics.middleware import MIDDLEWARE_PATH
from observability.metrics.otlp import OTLPBackend
from observability.metrics.prometheus import PrometheusBackend
from observability.parsing import on_setting_change

__all__ = ["backends_for", "prometheus_backend", "set_up_metrics", "start_pushing", "stop_pushing"]

# Previous OTLP backends get this long to push what they hold when settings change.
REPLACED_SHUTDOWN_SECONDS = 1.0

_set_up = False


def backends_for(config: MetricsConfig) -> list:
    """The backends `config` needs: none with metrics off; under gunicorn without hooks, its master's folder."""
    backends: list = []
    if config.serves_prometheus:
        backends.append(discovery.prometheus_backend(config.multiproc_dir))
    if config.push_exporter:
        backends.append(OTLPBackend(config))
    return backends


def set_up_metrics(config: MetricsConfig | None = None) -> bool:
    """Record metrics in this process as `config` (the running one) says; whether they are on."""
    global _set_up
    config = get_metrics_config() if config is None else config
    _replace(backends_for(config))
    if config.enabled:  # a project that does not list MetricsMiddleware (the first published lines) gets it
        pipeline.splice(MIDDLEWARE_PATH)
    _set_up = True
    return config.enabled


def prometheus_backend() -> PrometheusBackend | None:
    """The backend behind ``/metrics`` in this process, when there is one."""
    return next((b for b in recording.installed() if isinstance(b, PrometheusBackend)), None)


def start_pushing() -> None:
    """Give this process its OTLP provider now (a freshly forked worker), not on its first recording."""
    for backend in recording.installed():
        if isinstance(backend, OTLPBackend):
            backend.start()


def stop_pushing(timeout: float) -> None:
    """Push the last interval of this process, all backends at once, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    threads = [threading.Thread(target=b.shutdown, args=(timeout,), daemon=True)
               for b in recording.installed() if isinstance(b, OTLPBackend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))


def _replace(backends: list | None) -> None:
    """Install `backends` (None: those of the settings when next needed); previous pushers push their last."""
    previous = [b for b in recording.built() if isinstance(b, OTLPBackend)]
    if backends is None:
        recording.install_later(lambda: backends_for(get_metrics_config()))
    else:
        recording.install(backends)
    for backend in previous:
        threading.Thread(target=backend.shutdown, args=(REPLACED_SHUTDOWN_SECONDS,), daemon=True).start()


def _settings_changed() -> None:
    if _set_up:
        _replace(None)


on_setting_change(["OBSERVABILITY"], _settings_changed)
