"""Which extra of the distribution each optional feature needs, and the problem a missing one is.

The core wheel covers request IDs, health, metrics and tracing over ``otlp_http`` or the
console; the packages of the other features come with an extra. Code that imports an optional
package runs only once the configuration's problems say the package is there, so a configuration
that needs a missing extra is a system check error naming the ``pip install`` line (in
``check``, ``check_tracing``, ``health`` and at every server's start-up), never an ImportError.
An extra is needed only by a configuration that uses it: an installed ``redis`` or ``celery``
alone asks for nothing.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from observability.parsing import Problem

__all__ = ["NEEDS", "found", "install_line", "installed", "missing_extra", "missing_modules", "redis_caches"]

DISTRIBUTION = "django-chimera-observability"
# The modules each extra of pyproject.toml brings, as imported.
EXTRAS = {
    "grpc": ("opentelemetry.exporter.otlp.proto.grpc",),
    "zipkin": ("opentelemetry.exporter.zipkin.json",),
    "redis": ("redis", "opentelemetry.instrumentation.redis"),
    "celery": ("celery", "opentelemetry.instrumentation.celery"),
}


@dataclass(frozen=True)
class Need:
    """A feature's need of an extra: the extra, the check ID of its absence, what goes without it,
    and what the core offers instead (the hint)."""

    extra: str
    problem_id: str
    what: str
    instead: str


GRPC_SPANS_ID = "observability.E027"  # otlp and jaeger both send spans over gRPC
OVER_HTTP = "Or send OTLP over HTTP, which the core covers: TRACING_EXPORTER=otlp_http (port 4318)."
NEEDS = {
    "tracing otlp": Need("grpc", GRPC_SPANS_ID, "spans sent over OTLP/gRPC", OVER_HTTP),
    "tracing jaeger": Need("grpc", GRPC_SPANS_ID, "spans sent to Jaeger over OTLP/gRPC",
                           OVER_HTTP + " Jaeger receives it too."),
    "tracing zipkin": Need("zipkin", "observability.E028", "spans sent to Zipkin",
                           "Or send OTLP over HTTP (TRACING_EXPORTER=otlp_http) to a collector that forwards it."),
    "tracing redis": Need("redis", "observability.E029", "spans of the Redis cache's commands",
                          "Tracing starts only with it: the cache's commands would otherwise go untraced unnoticed."),
    "tracing celery": Need("celery", "observability.E030", "spans of Celery tasks",
                           "Tracing starts only with it: the tasks' spans would otherwise be missing unnoticed."),
    "metrics otlp": Need("grpc", "observability.E059", "metrics pushed over OTLP/gRPC",
                         "Or push over HTTP, which the core covers: METRICS_EXPORTER=otlp_http (port 4318)."),
}


def found(module: str) -> bool:
    """Whether `module` can be imported, without importing it (its parent packages are)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module set to None in sys.modules
        return False


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    return [module for module in EXTRAS[extra] if not found(module)]


def installed(extra: str) -> bool:
    """Whether every module of `extra` can be imported."""
    return not missing_modules(extra)


def install_line(extra: str) -> str:
    """The command that installs `extra`."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def missing_extra(feature: str, variable: str, because: str) -> Problem | None:
    """The problem of `feature` (a key of NEEDS) when its extra is not installed, else None.

    `because` says which setting asks for the feature and names `variable`, the one the problem is of.
    """
    need = NEEDS[feature]
    missing = missing_modules(need.extra)
    if not missing:
        return None
    return Problem(need.problem_id, variable, f"{because}: {need.what} need the {need.extra} extra "
                   f"({install_line(need.extra)}); {', '.join(missing)} cannot be imported.", need.instead)


def redis_caches(caches: dict) -> list[str]:
    """The aliases of `caches` (Django's CACHES) whose backend talks to Redis through redis-py."""
    return [alias for alias, params in caches.items() if "redis" in str(params.get("BACKEND", "")).lower()]
