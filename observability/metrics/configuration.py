"""The metrics variables: ``MetricsConfig`` with its defaults, parsed from ``OBSERVABILITY`` and OTEL_*.

Declared and checked like tracing's: every problem names the variable and the value (IDs in
the observability 050-069 range); problems are errors with metrics on, warnings with them off,
and an unreadable ``METRICS_ENABLED`` is always an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from observability.conf import SETTINGS_NAME
from observability.excluded_urls import pattern_error, split_patterns
from observability.parsing import Problem, as_bool, as_http_url, as_number, cached_until_changed, setting_dict, shown
from observability.redaction import mask_url

EXPORTERS = ("prometheus", "otlp", "otlp_http", "console")
PUSH_EXPORTERS = frozenset({"otlp", "otlp_http", "console"})
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "otlp": "http://localhost:4317",
    "otlp_http": "http://localhost:4318/v1/metrics",
})
MAX_INTERVAL_SECONDS = 86_400.0


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


def parse_metrics(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                  ) -> tuple[MetricsConfig, list[Problem]]:
    """Validate METRICS_* (and the OTEL_* variables they fall back to); invalid ones keep their default."""
    environ = os.environ if environ is None else environ
    problems: list[Problem] = []
    values: dict[str, object] = {}

    def found(name: str, *otel_names: str) -> tuple[str, object] | None:
        if raw.get(name) not in (None, ""):
            return name, raw[name]
        return next(((otel, environ[otel]) for otel in otel_names if environ.get(otel, "").strip()), None)

    for key, name, problem_id in (("enabled", "METRICS_ENABLED", "observability.E050"),
                                  ("anonymous", "METRICS_ANONYMOUS", "observability.E054")):
        if (entry := found(name)) is not None:
            if (flag := as_bool(entry[1])) is None:
                problems.append(Problem(problem_id, name, f"{name} must be true or false, got {shown(entry[1])}.",
                                        "Use true or false (also yes/no, on/off, 1/0)."))
            else:
                values[key] = flag
    if (entry := found("METRICS_EXPORTER")) is not None:
        values.update(_exporters(*entry, problems))
    exporters = values.get("exporters", MetricsConfig.exporters)
    grpc, pushes = "otlp" in exporters, bool(PUSH_EXPORTERS & set(exporters))
    # The standard OTEL_* variables count only where something is pushed: they may be meant for tracing alone.
    otel = pushes and values.get("enabled", True)
    entry = found("METRICS_ENDPOINT", *(["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] if otel else []))
    if entry is None and otel and (base := found("", "OTEL_EXPORTER_OTLP_ENDPOINT")) is not None:
        # The generic OTLP endpoint is a base URL: HTTP appends the signal's path to it.
        text = str(base[1]).strip()
        entry = (base[0], text if grpc else text.rstrip("/") + "/v1/metrics")
    if entry is not None:
        values.update(_endpoint(*entry, grpc, problems))
    if (entry := found("METRICS_EXPORT_INTERVAL_SECONDS", *(["OTEL_METRIC_EXPORT_INTERVAL"] if otel else []))):
        values.update(_interval(*entry, problems))
    if (entry := found("METRICS_EXCLUDED_URLS")) is not None:
        values.update(_excluded(*entry, problems))
    if (entry := found("METRICS_MULTIPROC_DIR", "PROMETHEUS_MULTIPROC_DIR")) is not None:
        values.update(_folder(*entry, problems))
    return MetricsConfig(**values), problems


def _exporters(name: str, value: object, problems: list[Problem]) -> dict[str, object]:
    items = [str(item).strip().lower() for item in split_patterns(value) if str(item).strip()]
    unknown = [item for item in items if item not in EXPORTERS]
    if unknown or not items:
        problems.append(Problem("observability.E051", name, f"{name} must be a comma-separated list of "
                                f"{', '.join(EXPORTERS)}, got {shown(value)}.",
                                "prometheus serves /metrics; otlp pushes OTLP over gRPC (port 4317), otlp_http "
                                "over HTTP (4318), console prints the points."))
        return {}
    if "otlp" in items and "otlp_http" in items:
        problems.append(Problem("observability.E057", name, f"{name} names both otlp and otlp_http, which would "
                                f"push the same points twice to one METRICS_ENDPOINT: {shown(value)}.",
                                "Keep one of them: otlp for gRPC, otlp_http for HTTP."))
        return {}
    return {"exporters": tuple(dict.fromkeys(items))}


def _endpoint(name: str, value: object, grpc: bool, problems: list[Problem]) -> dict[str, object]:
    text = value.strip() if isinstance(value, str) else ""
    parts = as_http_url(text)
    if parts is None:
        problems.append(Problem("observability.E052", name, f"{name} must be an http:// or https:// URL with a "
                                f"host, got {shown(mask_url(text))}.",
                                "For example http://collector:4317 (otlp) or http://collector:4318/v1/metrics "
                                "(otlp_http); OpenTelemetry treats a gRPC endpoint without a scheme as TLS."))
        return {}
    if grpc and (parts.username or parts.password):
        problems.append(Problem("observability.E058", name, f"{name} carries credentials, which a gRPC exporter "
                                f"never sends: {shown(mask_url(text))}.",
                                "Pass them as a header instead: TRACING_HEADERS=authorization=... (metrics "
                                "pushes send the tracing headers)."))
        return {}
    return {"endpoint": text}


def _interval(name: str, value: object, problems: list[Problem]) -> dict[str, object]:
    milliseconds = name.startswith("OTEL_")  # the specification gives OTEL_METRIC_EXPORT_INTERVAL in ms
    amount = as_number(value)
    seconds = None if amount is None else amount / 1000 if milliseconds else amount
    if seconds is not None and 0.1 <= seconds <= MAX_INTERVAL_SECONDS:
        return {"export_interval": float(seconds)}
    unit, low, high = ("milliseconds", 100, MAX_INTERVAL_SECONDS * 1000) if milliseconds else (
        "seconds", 0.1, MAX_INTERVAL_SECONDS)
    problems.append(Problem("observability.E053", name, f"{name} must be a number of {unit} from {low:g} to "
                            f"{high:g}, got {shown(value)}.", f"{name} is in {unit}; 60 s is the usual interval."))
    return {}


def _excluded(name: str, value: object, problems: list[Problem]) -> dict[str, object]:
    patterns, before = [], len(problems)
    for item in split_patterns(value):
        if item == "":
            continue
        if error := pattern_error(item):
            problems.append(Problem("observability.E055", name, f"{name} pattern {shown(item)} {error}.",
                                    "Give comma-separated path patterns matched from the start of the path, "
                                    "such as /health."))
        else:
            patterns.append(item.strip())
    return {"excluded_urls": tuple(patterns)} if len(problems) == before else {}


def _folder(name: str, value: object, problems: list[Problem]) -> dict[str, object]:
    text = value.strip() if isinstance(value, str) else ""
    path = Path(text)
    if not path.is_absolute():
        error = "must be an absolute path"
    elif path.exists() and not path.is_dir():
        error = "is not a folder"
    elif path.exists() and not os.access(path, os.W_OK | os.X_OK):
        error = "is a folder this process cannot write to"
    elif not path.exists() and not os.access(_existing_parent(path), os.W_OK | os.X_OK):
        error = "does not exist and cannot be made here"
    else:
        return {"multiproc_dir": str(path)}
    problems.append(Problem("observability.E056", name, f"{name} {error}: {shown(value)}.",
                            "Give a folder for this server alone, writable by its workers (or leave it unset: "
                            "gunicorn's master then makes a fresh one)."))
    return {}


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@cached_until_changed(SETTINGS_NAME)
def _parsed() -> tuple[MetricsConfig, list[Problem]]:
    return parse_metrics(setting_dict(SETTINGS_NAME))


def get_metrics_config() -> MetricsConfig:
    """The running metrics configuration (cached; dropped when settings change)."""
    return _parsed()[0]


def metrics_problems() -> list[Problem]:
    """Problems of the running configuration: errors with metrics on, warnings with them off."""
    config, problems = _parsed()
    errors = config.enabled or any(p.variable == "METRICS_ENABLED" for p in problems)
    return list(problems) if errors else [p.as_warning() for p in problems]
