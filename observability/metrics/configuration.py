"""Metrics' configuration: ``MetricsConfig``, its variables declared once, and the running configuration.

Declared and looked up like every setting (``observability.parsing``); the endpoint and the
export block (headers, timeout, resource) follow the rules every exporter shares
(``observability.exporting``). Every problem names the variable and the value (IDs in the
observability 050-069 range); problems are errors with metrics on, warnings with them off, and
an unreadable ``METRICS_ENABLED`` is always an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from observability import exporting
from observability.excluded_urls import HINT as EXCLUDED_HINT
from observability.excluded_urls import patterns, split_patterns
from observability.exporting import ExportSettings
from observability.metrics.folder import folder_problem
from observability.parsing import Invalid, Problem, Reader, Running, Variable, boolean, shown
from observability.redaction import url_secrets

__all__ = [
    "MetricsConfig", "exporters", "folder", "folder_error", "get_metrics_config", "interval", "metrics_problems",
    "parse_metrics",
]

EXPORTERS = ("prometheus", "otlp", "otlp_http", "console")
PUSH_EXPORTERS = frozenset({"otlp", "otlp_http", "console"})
SETTINGS_NAME = "OBSERVABILITY"
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "otlp": exporting.otlp_default_endpoint("metrics", grpc=True),
    "otlp_http": exporting.otlp_default_endpoint("metrics", grpc=False),
})
MAX_INTERVAL_SECONDS = 86_400.0
CREDENTIALS_ID = "observability.E058"  # an endpoint with credentials a gRPC push would drop


@dataclass(frozen=True)
class MetricsConfig:
    """Validated metrics configuration; the defaults below are the ones an unset variable gets.

    ``endpoint=None`` means the OTLP exporter's default endpoint; ``multiproc_dir=None`` means
    a fresh folder made by gunicorn's master (``observability.gunicorn``), or none outside gunicorn.
    """

    enabled: bool = True
    exporters: tuple[str, ...] = ("prometheus",)
    endpoint: str | None = None
    export_interval: float = 60.0  # seconds
    anonymous: bool = False
    excluded_urls: tuple[str, ...] = ("/health", "/health/ready", "/metrics")
    multiproc_dir: str | None = None
    # What pushes share with tracing's exporter: headers, timeout and resource (observability.exporting).
    export: ExportSettings = field(default_factory=ExportSettings, compare=False)

    def __post_init__(self) -> None:
        otlp = [name for name in self.exporters if name in DEFAULT_ENDPOINTS]
        if self.endpoint is None and otlp:
            object.__setattr__(self, "endpoint", DEFAULT_ENDPOINTS[otlp[0]])

    @property
    def serves_prometheus(self) -> bool:
        """Whether ``/metrics`` answers (metrics on, ``prometheus`` among the exporters)."""
        return self.enabled and "prometheus" in self.exporters

    @property
    def push_exporter(self) -> str | None:
        """The exporter that pushes from each process (otlp, otlp_http or console), if any."""
        pushed = [name for name in self.exporters if name in PUSH_EXPORTERS]
        return pushed[0] if self.enabled and pushed else None


def exporters(value: object, name: str) -> tuple[str, ...]:
    items = [str(item).strip().lower() for item in split_patterns(value) if str(item).strip()]
    if not items or any(item not in EXPORTERS for item in items):
        raise Invalid(f"{name} must be a comma-separated list of {', '.join(EXPORTERS)}, got {shown(value)}.")
    if "otlp" in items and "otlp_http" in items:
        raise Invalid(f"{name} names both otlp and otlp_http, which would push the same points twice to one "
                      f"METRICS_ENDPOINT: {shown(value)}.", "observability.E057",
                      "Keep one of them: otlp for gRPC, otlp_http for HTTP.")
    return tuple(dict.fromkeys(items))


def interval(value: object, name: str) -> float:
    return exporting.seconds(value, name, 0.1, MAX_INTERVAL_SECONDS, "; 60 s is the usual interval.")


def folder(value: object, name: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if error := folder_error(Path(text)):
        raise Invalid(f"{name} {error}: {shown(value)}.")
    return text


ENABLED = Variable("METRICS_ENABLED", "enabled", boolean, "observability.E050")
EXPORTER = Variable("METRICS_EXPORTER", "exporters", exporters, "observability.E051",
                    "prometheus serves /metrics; otlp pushes OTLP over gRPC (port 4317), otlp_http over HTTP "
                    "(4318), console prints the points.")
ANONYMOUS = Variable("METRICS_ANONYMOUS", "anonymous", boolean, "observability.E054")
EXCLUDED_URLS = Variable("METRICS_EXCLUDED_URLS", "excluded_urls", patterns, "observability.E055", EXCLUDED_HINT)
MULTIPROC_DIR = Variable("METRICS_MULTIPROC_DIR", "multiproc_dir", folder, "observability.E056",
                         "Give a folder for this server alone, writable by its workers (or leave it unset: "
                         "gunicorn's master then makes a fresh one).", otel=("PROMETHEUS_MULTIPROC_DIR",))
ENDPOINT_HINT = ("For example http://collector:4317 (otlp) or http://collector:4318/v1/metrics (otlp_http); "
                 "OpenTelemetry treats a gRPC endpoint without a scheme as TLS.")
# Every METRICS_* variable, for the documentation and the tests that compare it with the docs.
ENDPOINT = Variable("METRICS_ENDPOINT", "endpoint", exporting.endpoint_parser(
    False, DEFAULT_ENDPOINTS["otlp_http"], CREDENTIALS_ID), "observability.E052", ENDPOINT_HINT)
INTERVAL = Variable("METRICS_EXPORT_INTERVAL_SECONDS", "export_interval", interval, "observability.E053")
VARIABLES = (ENABLED, EXPORTER, ANONYMOUS, EXCLUDED_URLS, MULTIPROC_DIR, ENDPOINT, INTERVAL)


def parse_metrics(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                  ) -> tuple[MetricsConfig, list[Problem]]:
    """Validate every metrics variable; invalid ones keep their default."""
    r = Reader(raw, environ, SETTINGS_NAME)
    enabled = r.read(ENABLED) is not False
    chosen = r.read(EXPORTER)
    chosen = chosen if isinstance(chosen, tuple) else MetricsConfig.exporters
    for variable in (ANONYMOUS, EXCLUDED_URLS, MULTIPROC_DIR):
        r.read(variable)
    # The standard OTEL_* variables count only where something is pushed: they may be meant for tracing alone.
    pushed = [name for name in chosen if name in PUSH_EXPORTERS]
    if enabled and pushed:
        grpc = pushed[0] == "otlp"
        endpoint = replace(ENDPOINT, parse=exporting.endpoint_parser(
            grpc, DEFAULT_ENDPOINTS["otlp" if grpc else "otlp_http"], CREDENTIALS_ID))
        r.read(endpoint, exporting.endpoint_lookup(r, endpoint.name, "metrics", "otlp" if grpc else "otlp_http",
                                                   grpc))
        r.read(replace(INTERVAL, otel=("OTEL_METRIC_EXPORT_INTERVAL",)))
    else:  # checked all the same, without the OTEL_* ones
        r.read(replace(ENDPOINT, parse=exporting.endpoint_parser(
            "otlp" in chosen, DEFAULT_ENDPOINTS["otlp"], CREDENTIALS_ID)))
        r.read(INTERVAL)
    # Headers, timeout and resource are tracing's variables: tracing reports their problems.
    shared = Reader(raw, r.environ, SETTINGS_NAME)
    exporting.read_export_block(shared)
    return MetricsConfig(**r.values, export=ExportSettings(**shared.values)), r.problems


def folder_error(path: Path) -> str:
    """Why `path` cannot hold the metrics files, or "" when it can."""
    if not path.is_absolute():
        return "must be an absolute path"
    if path.exists() and not path.is_dir():
        return "is not a folder"
    if path.exists() and not os.access(path, os.W_OK | os.X_OK):
        return "is a folder this process cannot write to"
    if not path.exists() and not os.access(_existing_parent(path), os.W_OK | os.X_OK):
        return "does not exist and cannot be made here"
    return folder_problem(path) or ""  # the rule gunicorn's master applies before it deletes anything


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def missing_extras(config: MetricsConfig) -> list[Problem]:
    """The extra the OTLP/gRPC push needs, when `config` pushes with it and it is not installed."""
    from observability import extras

    if "otlp" not in config.exporters:
        return []
    problem = extras.missing_extra("metrics otlp", EXPORTER.name, f"{EXPORTER.name}={','.join(config.exporters)}")
    return [] if problem is None else [problem]


RUNNING = Running(SETTINGS_NAME, parse_metrics, switch=ENABLED.name, installed=missing_extras,
                  derived_from=exporting.DERIVED_FROM)


def get_metrics_config() -> MetricsConfig:
    """The running metrics configuration (parsed once; dropped when settings change)."""
    return RUNNING.config()


def metrics_problems() -> list[Problem]:
    """Problems of the running configuration: errors with metrics on, warnings with them off."""
    return RUNNING.problems()


def metrics_secrets() -> list[str]:
    """What the push exporter's configuration holds that is secret: header values, the endpoint's password and query."""
    config = get_metrics_config()
    return [*config.export.headers.values(), *url_secrets(config.endpoint)]
