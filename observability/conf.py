"""Configuration of observability: declared once, parsed once, reported as checks and errors.

A project configures the app with one dict, ``settings.OBSERVABILITY``, keyed by the names of
the environment variables (``{"REQUEST_ID_HEADER": "X-Correlation-ID"}``); values may be the
strings an environment holds or typed Python values. Defaults live only in the dataclasses
below. Each parser collects every problem instead of stopping at the first, so an operator sees
all of them at once; ``checks.py`` reports them and ``apps.py`` refuses start-up on errors.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from observability.request_id import generate_request_id, is_valid_request_id

SETTINGS_NAME = "OBSERVABILITY"
TRUE_STRINGS = frozenset({"1", "true", "yes", "on"})
FALSE_STRINGS = frozenset({"0", "false", "no", "off"})
# RFC 9110 token characters: what a header field name may contain.
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class Problem:
    """One invalid value: which check ID, which variable, what is wrong and how to fix it."""

    id: str  # the number part, "001"; checks.py prefixes "observability.E"/"observability.W"
    variable: str
    message: str
    hint: str = ""


def user_settings() -> Mapping[str, object]:
    """The project's ``OBSERVABILITY`` dict; anything that is not a mapping counts as empty."""
    value = getattr(settings, SETTINGS_NAME, None)
    return value if isinstance(value, Mapping) else {}


def shown(value: object) -> str:
    """`value` quoted for a message, shortened so a huge value cannot flood a log."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_bool(raw: object, variable: str, problem_id: str, problems: list[Problem]) -> bool | None:
    """A boolean from True/False or its usual spellings; None (and a Problem) otherwise."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in TRUE_STRINGS | FALSE_STRINGS:
        return raw.strip().lower() in TRUE_STRINGS
    problems.append(Problem(problem_id, variable, f"{variable} must be true or false, got {shown(raw)}.",
                            "Use true or false (also yes/no, on/off, 1/0)."))
    return None


# --- Request IDs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestIDConfig:
    """How request IDs are read, generated and returned."""

    header: str = "X-Request-ID"
    trust_incoming: bool = True
    generator: Callable[[], str] = field(default=generate_request_id, compare=False)
    generator_path: str = "observability.request_id.generate_request_id"
    # Paths whose errors (404, 500, ...) answer JSON in the error envelope, with the ID.
    json_error_prefixes: tuple[str, ...] = ("/api/",)

    @property
    def meta_key(self) -> str:
        """The header's key in ``request.META`` (``HTTP_X_REQUEST_ID``)."""
        return "HTTP_" + self.header.upper().replace("-", "_")


def parse_request_id(raw: Mapping[str, object]) -> tuple[RequestIDConfig, list[Problem]]:
    """Validate the ``REQUEST_ID_*`` entries; invalid ones keep their default."""
    problems: list[Problem] = []
    values: dict[str, object] = {}
    if "REQUEST_ID_HEADER" in raw:
        header = raw["REQUEST_ID_HEADER"]
        if isinstance(header, str) and HEADER_NAME.fullmatch(header.strip()):
            values["header"] = header.strip()
        else:
            problems.append(Problem(
                "001", "REQUEST_ID_HEADER", f"REQUEST_ID_HEADER is not a valid HTTP header name: {shown(header)}.",
                "Use letters, digits and hyphens, for example X-Request-ID.",
            ))
    if "REQUEST_ID_TRUST_INCOMING" in raw:
        trust = parse_bool(raw["REQUEST_ID_TRUST_INCOMING"], "REQUEST_ID_TRUST_INCOMING", "002", problems)
        if trust is not None:
            values["trust_incoming"] = trust
    if raw.get("REQUEST_ID_GENERATOR"):
        path = raw["REQUEST_ID_GENERATOR"]
        generator = _import_callable(path, problems)
        if generator is not None and not _makes_valid_ids(generator):
            problems.append(Problem(
                "005", "REQUEST_ID_GENERATOR",
                f"REQUEST_ID_GENERATOR {shown(path)} does not return a valid request ID.",
                "Return 1 to 128 characters from letters, digits and - _ . : / + = @.",
            ))
            generator = None
        if generator is not None:
            values.update(generator=generator, generator_path=str(path))
    if "JSON_ERROR_PREFIXES" in raw:
        prefixes = raw["JSON_ERROR_PREFIXES"]
        prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
        if isinstance(prefixes, (list, tuple)) and all(isinstance(p, str) and p.startswith("/") for p in prefixes):
            values["json_error_prefixes"] = tuple(prefixes)
        else:
            problems.append(Problem(
                "004", "JSON_ERROR_PREFIXES",
                f"JSON_ERROR_PREFIXES must be a list of paths starting with '/', got {shown(prefixes)}.",
                'For example ["/api/"].',
            ))
    return RequestIDConfig(**values), problems


def _makes_valid_ids(generator: Callable[[], str]) -> bool:
    try:
        return is_valid_request_id(generator())
    except Exception:  # any failure of the operator's function means it cannot be used
        return False


def _import_callable(path: object, problems: list[Problem]) -> Callable[[], str] | None:
    try:
        generator = import_string(str(path))
    except ImportError as exc:
        problems.append(Problem("003", "REQUEST_ID_GENERATOR",
                                f"REQUEST_ID_GENERATOR {shown(path)} cannot be imported: {exc}",
                                "Give the dotted path of a function that returns a string, "
                                "for example myproject.ids.make_request_id."))
        return None
    if not callable(generator):
        problems.append(Problem("003", "REQUEST_ID_GENERATOR", f"REQUEST_ID_GENERATOR {shown(path)} is not callable.",
                                "Give the dotted path of a function that returns a string."))
        return None
    return generator


@functools.cache
def _request_id_parsed() -> tuple[RequestIDConfig, list[Problem]]:
    return parse_request_id(user_settings())


def get_request_id_config() -> RequestIDConfig:
    """The running request-ID configuration (cached; dropped when settings change)."""
    return _request_id_parsed()[0]


def request_id_problems() -> list[Problem]:
    """Problems found in the running request-ID configuration."""
    return list(_request_id_parsed()[1])


# --- Cache invalidation -----------------------------------------------------------------------

# Functions whose cached results depend on settings; other modules of the app add theirs.
CACHED: list[functools._lru_cache_wrapper] = [_request_id_parsed]


@receiver(setting_changed)
def _drop_cached_config(*, setting: str, **kwargs) -> None:
    """Parse again after ``override_settings`` changes what the configuration reads."""
    if setting in (SETTINGS_NAME, "MIDDLEWARE"):
        for cached in CACHED:
            cached.cache_clear()


# --- Tracing ----------------------------------------------------------------------------------
# TRACING_* entries come from OBSERVABILITY; the standard OTEL_* variables are read from the
# environment and apply only where no TRACING_* entry says otherwise (see the README).

EXPORTER_TYPES = ("otlp", "otlp_http", "jaeger", "zipkin", "console")
# Exporters speaking OTLP over gRPC: jaeger is Jaeger's own OTLP receiver.
GRPC_EXPORTERS = frozenset({"otlp", "jaeger"})
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "otlp": "http://localhost:4317",
    "otlp_http": "http://localhost:4318/v1/traces",
    "jaeger": "http://localhost:4317",
    "zipkin": "http://localhost:9411/api/v2/spans",
})
MAX_TIMEOUT_SECONDS = 300.0
TRACING_DEFAULTS: Mapping[str, object] = MappingProxyType({
    "enabled": False,
    "exporter_type": "console",
    "endpoint": None,  # the exporter's entry in DEFAULT_ENDPOINTS
    "service_name": "chimera-backend",
    "service_version": "unknown",
    "deployment_environment": "production",
    "sample_rate": 1.0,
    "headers": MappingProxyType({}),
    "excluded_urls": ("/health", "/health/ready"),
    "export_timeout": 10.0,  # seconds
    "shutdown_timeout": 5.0,  # seconds
    "max_queue_size": 2048,
    "schedule_delay_millis": 5000,
    # Not the SDK's 512: encoding a batch holds the GIL while requests wait; under full load,
    # batches of 64 kept p99 at about 2.2x bare's instead of 3.2x, at the same throughput
    # (bench.load tuning, README "Performance").
    "max_export_batch_size": 64,
})


def _running(name: str) -> Callable[[], object]:
    """A default_factory that reads field `name` of the running configuration."""
    return lambda: getattr(get_tracing_config(), name)


@dataclass(frozen=True)
class TracingConfig:
    """Validated tracing configuration; ``TracingConfig()`` is the running one.

    Any field given explicitly replaces the running value (``TracingConfig(enabled=True)``);
    ``endpoint=None`` means the exporter's default endpoint.
    """

    enabled: bool = field(default_factory=_running("enabled"))
    exporter_type: str = field(default_factory=_running("exporter_type"))
    endpoint: str | None = field(default_factory=_running("endpoint"))
    service_name: str = field(default_factory=_running("service_name"))
    service_version: str = field(default_factory=_running("service_version"))
    deployment_environment: str = field(default_factory=_running("deployment_environment"))
    sample_rate: float = field(default_factory=_running("sample_rate"))
    headers: Mapping[str, str] = field(default_factory=_running("headers"), repr=False)  # secret
    excluded_urls: tuple[str, ...] = field(default_factory=_running("excluded_urls"))
    export_timeout: float = field(default_factory=_running("export_timeout"))  # seconds
    shutdown_timeout: float = field(default_factory=_running("shutdown_timeout"))  # seconds
    max_queue_size: int = field(default_factory=_running("max_queue_size"))
    schedule_delay_millis: int = field(default_factory=_running("schedule_delay_millis"))
    max_export_batch_size: int = field(default_factory=_running("max_export_batch_size"))
    # Where each value came from: a variable's name, or "default".
    sources: Mapping[str, str] = field(default_factory=_running("sources"), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.endpoint is None and self.exporter_type in DEFAULT_ENDPOINTS:
            object.__setattr__(self, "endpoint", DEFAULT_ENDPOINTS[self.exporter_type])

    @property
    def uses_grpc(self) -> bool:
        """Whether the exporter sends OTLP over gRPC (otlp, jaeger)."""
        return self.exporter_type in GRPC_EXPORTERS


def parse_tracing(
    raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
) -> tuple[TracingConfig, list[Problem]]:
    """Validate TRACING_* (and the OTEL_* variables they fall back to); invalid ones keep their default."""
    from observability import tracing_settings

    return tracing_settings.parse(raw, os.environ if environ is None else environ)


@functools.cache
def _tracing_parsed() -> tuple[TracingConfig, list[Problem]]:
    return parse_tracing(user_settings())


def get_tracing_config() -> TracingConfig:
    """The running tracing configuration (cached; dropped when settings change)."""
    return _tracing_parsed()[0]


def tracing_problems() -> list[Problem]:
    """Problems found in the running tracing configuration."""
    return list(_tracing_parsed()[1])


def tracing_problems_are_errors(config: TracingConfig, problems: list[Problem]) -> bool:
    """Errors when tracing is on, or when TRACING_ENABLED itself is unreadable; else warnings."""
    return config.enabled or any(p.variable == "TRACING_ENABLED" for p in problems)


CACHED.append(_tracing_parsed)
