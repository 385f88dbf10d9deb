"""Tracing's configuration: ``TracingConfig``, its variables declared once, and the running configuration.

Each variable is looked up as every setting of the project is (``observability.parsing``): the
``OBSERVABILITY`` dict, then the environment, then the standard ``OTEL_*`` variables, then the
default below. Every value is checked here, so nothing invalid reaches the SDK (which would log a
traceback, or a header value, from deep inside). IDs are the observability 010-039 range.
``TracingConfig()`` with no arguments is the configuration the settings and environment give now.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from observability import exporting
from observability.excluded_urls import HINT as EXCLUDED_HINT
from observability.excluded_urls import patterns
from observability.exporting import ExportSettings
from observability.parsing import Problem, Reader, Running, RunningWhenCalledBare, Variable, boolean, setting_dict
from observability.redaction import url_secrets
from observability.tracing import values as v

__all__ = [
    "TracingConfig", "get_tracing_config", "parse_tracing", "problems_are_errors", "tracing_problems",
    "tracing_secrets",
]

SETTINGS_NAME = "OBSERVABILITY"
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "otlp": exporting.otlp_default_endpoint("traces", grpc=True),
    "otlp_http": exporting.otlp_default_endpoint("traces", grpc=False),
    "jaeger": exporting.otlp_default_endpoint("traces", grpc=True),
    "zipkin": v.ZIPKIN_ENDPOINT,
})


@dataclass(frozen=True)
class TracingConfig(metaclass=RunningWhenCalledBare):
    """Validated tracing configuration; the defaults below are the ones an unset variable gets.

    ``endpoint=None`` means the exporter's default endpoint. ``TracingConfig()`` is the running
    configuration read afresh; ``get_tracing_config()`` is the same, parsed once per settings.
    """

    enabled: bool = False
    exporter_type: str = "console"
    endpoint: str | None = None
    service_name: str = ExportSettings.service_name
    service_version: str = ExportSettings.service_version
    deployment_environment: str = ExportSettings.deployment_environment
    sample_rate: float = 1.0
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)  # secret
    # Scrapes of /metrics every few seconds would outnumber the requests worth tracing.
    excluded_urls: tuple[str, ...] = ("/health", "/health/ready", "/metrics")
    export_timeout: float = ExportSettings.export_timeout  # seconds
    shutdown_timeout: float = 5.0  # seconds
    db_statements: bool = True  # SQL with its placeholders on database spans; never parameter values
    # Not the SDK's 2048: while the collector is away a full queue is memory each worker keeps
    # (about 1.7 KB a span). 512 is 8 batches of 64 (the SDK queues 4 of its 512), and took a
    # worker's growth in the chaos test (tests/e2e/test_chaos.py) from 9-10 % to about 7 %.
    max_queue_size: int = 512
    schedule_delay_millis: int = 5000
    # Not the SDK's 512: encoding a batch holds the GIL while requests wait; under full load,
    # batches of 64 kept p99 at about 2.2x bare's instead of 3.2x, at the same throughput, and
    # compared by the whole tail (p99.9 and the maximum too) 32 to 128 stay close while 256 and
    # 512 lose on every percentile (bench.load tuning, docs/performance.md).
    max_export_batch_size: int = 64
    # Where each value came from: a variable's name (sources), and the settings dict or the
    # environment with it (origins); values not listed are defaults.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.endpoint is None and self.exporter_type in DEFAULT_ENDPOINTS:
            object.__setattr__(self, "endpoint", DEFAULT_ENDPOINTS[self.exporter_type])

    @classmethod
    def from_settings(cls) -> TracingConfig:
        """The configuration the settings and the environment give now (problems leave defaults)."""
        return parse_tracing(setting_dict(SETTINGS_NAME))[0]

    @property
    def uses_grpc(self) -> bool:
        """Whether the exporter sends OTLP over gRPC (otlp, jaeger)."""
        return self.exporter_type in v.GRPC_EXPORTERS

    def source(self, key: str) -> str:
        """Where the value of field `key` came from: a variable's name, or ``default``."""
        return self.sources.get(key, "default")

    def origin(self, key: str) -> str:
        """Where the value of field `key` came from, as an operator looks for it: settings, environment or default."""
        return self.origins.get(key, "default")


CREDENTIALS_ID = "observability.E023"  # an endpoint with credentials a gRPC exporter would drop
ENDPOINT = Variable("TRACING_ENDPOINT", "endpoint", exporting.endpoint_parser(False, v.ZIPKIN_ENDPOINT, CREDENTIALS_ID),
                    "observability.E012")
ENABLED = Variable("TRACING_ENABLED", "enabled", boolean, "observability.E010")
EXPORTER = Variable("TRACING_EXPORTER", "exporter_type", v.exporter, "observability.E011", v.EXPORTER_HINT)
SAMPLE_RATE = Variable("TRACING_SAMPLE_RATE", "sample_rate", v.rate, "observability.E014", v.RATE_HINT,
                       otel=("OTEL_TRACES_SAMPLER_ARG",))
EXCLUDED_URLS = Variable("TRACING_EXCLUDED_URLS", "excluded_urls", patterns, "observability.E016", EXCLUDED_HINT)
SHUTDOWN_TIMEOUT = Variable("TRACING_SHUTDOWN_TIMEOUT_SECONDS", "shutdown_timeout", exporting.timeout,
                            "observability.E018")
DB_STATEMENTS = Variable("TRACING_DB_STATEMENTS", "db_statements", boolean, "observability.E025",
                         v.DB_STATEMENTS_HINT)
BATCHING = tuple(Variable("", key, v.positive_int, "observability.E022", v.BATCH_HINT, otel=(name,)) for key, name in (
    ("max_queue_size", "OTEL_BSP_MAX_QUEUE_SIZE"),
    ("schedule_delay_millis", "OTEL_BSP_SCHEDULE_DELAY"),
    ("max_export_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
))
# Every TRACING_* variable, for the documentation and the tests that compare it with the docs.
VARIABLES = (ENABLED, EXPORTER, ENDPOINT, SAMPLE_RATE, EXCLUDED_URLS, SHUTDOWN_TIMEOUT, DB_STATEMENTS,
             exporting.HEADERS, exporting.EXPORT_TIMEOUT, *(variable for variable, _ in exporting.RESOURCE))


def parse_tracing(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                  ) -> tuple[TracingConfig, list[Problem]]:
    """Validate every tracing variable; invalid ones keep their default."""
    r = Reader(raw, os.environ if environ is None else environ, SETTINGS_NAME)
    r.read(ENABLED)
    v.sdk_disabled(r)
    exporter = r.read(EXPORTER)
    exporter = exporter if isinstance(exporter, str) else TracingConfig.exporter_type
    grpc = exporter in v.GRPC_EXPORTERS
    endpoint = replace(ENDPOINT, parse=exporting.endpoint_parser(
        grpc, DEFAULT_ENDPOINTS.get(exporter, "http://host:port"), CREDENTIALS_ID))
    r.read(endpoint, exporting.endpoint_lookup(r, endpoint.name, "traces", exporter, grpc))
    if exporter == "console":  # checked above, but the console sends nowhere
        r.values.pop("endpoint", None), r.sources.pop("endpoint", None), r.origins.pop("endpoint", None)
    r.read(SAMPLE_RATE)
    exporting.read_export_block(r, exporter)
    for variable in (EXCLUDED_URLS, SHUTDOWN_TIMEOUT, DB_STATEMENTS, *BATCHING):
        r.read(variable)
    v.batch_within_queue(r, r.values.get("max_export_batch_size", TracingConfig.max_export_batch_size),
                         r.values.get("max_queue_size", TracingConfig.max_queue_size))
    return TracingConfig(**r.values, sources=MappingProxyType(r.sources),
                         origins=MappingProxyType(r.origins)), r.problems


def missing_extras(config: TracingConfig) -> list[Problem]:
    """The extras `config` needs and this environment lacks: its exporter's, and with tracing on,
    those of the Redis caches in CACHES and of a Celery app instrumented by ``observability.tasks``."""
    from django.conf import settings

    from observability import extras

    needs = []
    if f"tracing {config.exporter_type}" in extras.NEEDS:
        needs.append(extras.missing_extra(f"tracing {config.exporter_type}", EXPORTER.name,
                                          f"{EXPORTER.name}={config.exporter_type}"))
    if config.enabled and (caches := extras.redis_caches(settings.CACHES)):
        needs.append(extras.missing_extra("tracing redis", ENABLED.name,
                                          f"{ENABLED.name}=true with the Redis cache CACHES[{caches[0]!r}]"))
    if config.enabled and "observability.tasks" in sys.modules:
        needs.append(extras.missing_extra("tracing celery", ENABLED.name,
                                          f"{ENABLED.name}=true with a Celery app instrumented by observability.tasks"))
    return [problem for problem in needs if problem is not None]


RUNNING = Running(SETTINGS_NAME, parse_tracing, switch=ENABLED.name, installed=missing_extras,
                  derived_from=exporting.DERIVED_FROM)


def get_tracing_config() -> TracingConfig:
    """The running tracing configuration (parsed once; dropped when settings change)."""
    return RUNNING.config()


def tracing_problems() -> list[Problem]:
    """Problems of the running configuration: errors with tracing on, warnings with it off."""
    return RUNNING.problems()


def problems_are_errors(config: TracingConfig, problems: list[Problem]) -> bool:
    """Errors when tracing is on, or when TRACING_ENABLED itself is unreadable; else warnings."""
    return RUNNING.are_errors(config, problems)


def tracing_secrets() -> list[str]:
    """What the exporter's configuration holds that is secret: header values, the endpoint's password and query."""
    config = get_tracing_config()
    return [*config.headers.values(), *url_secrets(config.endpoint)]
