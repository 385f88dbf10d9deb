"""Configuration of observability: request IDs and API keys, and the index of every feature's settings.

A project configures the app with one dict, ``settings.OBSERVABILITY``, keyed by the names of
the environment variables (``{"REQUEST_ID_HEADER": "X-Correlation-ID"}``), or with those
environment variables themselves; the dict wins. Each feature declares its variables once
(``observability.parsing.Variable``) beside its configuration class: request IDs
here, API keys in ``observability.api_keys``, tracing in ``observability.tracing.configuration``, metrics in
``observability.metrics.configuration``, the rest in the module of the feature. ``VARIABLES``
lists them all; ``checks.py`` reports their problems and ``startup.py`` refuses start-up on errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from observability.api_keys import API_KEYS, api_key_digests, key_digest
from observability.auth_failures import FAILURE_RATE
from observability.exporting import HEADER_NAME
from observability.metrics.configuration import VARIABLES as METRICS_VARIABLES
from observability.metrics.configuration import MetricsConfig, get_metrics_config
from observability.parsing import Invalid, Problem, Reader, Running, Variable, boolean, shown
from observability.proxies import TRUSTED_PROXIES
from observability.request_id import generate_request_id, is_valid_request_id
from observability.timing import SERVER_TIMING
from observability.tracing.configuration import VARIABLES as TRACING_VARIABLES
from observability.tracing.configuration import TracingConfig, get_tracing_config

__all__ = [
    "RequestIDConfig", "TracingConfig", "MetricsConfig", "get_request_id_config", "get_tracing_config",
    "get_metrics_config", "api_key_digests", "key_digest", "VARIABLES",
]

SETTINGS_NAME = "OBSERVABILITY"

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


def header_name(value: object, name: str) -> str:
    if isinstance(value, str) and HEADER_NAME.fullmatch(value.strip()):
        return value.strip()
    raise Invalid(f"{name} is not a valid HTTP header name: {shown(value)}.")


def prefixes(value: object, name: str) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    if isinstance(items, list | tuple) and all(isinstance(p, str) and p.startswith("/") for p in items):
        return tuple(items)
    raise Invalid(f"{name} must be a list of paths starting with '/', got {shown(items)}.")


def generator(path: object, name: str) -> tuple[Callable[[], str], str]:
    """The function `path` names, once it has returned a valid request ID."""
    hint = "Give the dotted path of a function that returns a string"
    try:
        function = import_string(str(path))
    except ImportError as exc:
        raise Invalid(f"{name} {shown(path)} cannot be imported: {exc}",
                      hint=f"{hint}, for example myproject.ids.make_request_id.") from None
    if not callable(function):
        raise Invalid(f"{name} {shown(path)} is not callable.", "observability.E007", hint=f"{hint}.")
    try:
        valid = is_valid_request_id(function())
    except Exception:  # any failure of the operator's function means it cannot be used
        valid = False
    if not valid:
        raise Invalid(f"{name} {shown(path)} does not return a valid request ID.", "observability.E005",
                      "Return 1 to 128 characters from letters, digits and - _ . : / + = @.")
    return function, str(path)


REQUEST_ID_VARIABLES = (
    Variable("REQUEST_ID_HEADER", "header", header_name, "observability.E001",
             "Use letters, digits and hyphens, for example X-Request-ID."),
    Variable("REQUEST_ID_TRUST_INCOMING", "trust_incoming", boolean, "observability.E002"),
    Variable("REQUEST_ID_GENERATOR", "generator", generator, "observability.E003"),
    Variable("JSON_ERROR_PREFIXES", "json_error_prefixes", prefixes, "observability.E004", 'For example ["/api/"].',
             environment=False),
)


def parse_request_id(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                     ) -> tuple[RequestIDConfig, list[Problem]]:
    """Validate the request-ID variables; invalid ones keep their default."""
    r = Reader(raw, environ, SETTINGS_NAME)
    for variable in REQUEST_ID_VARIABLES:
        r.read(variable)
    values = dict(r.values)
    if "generator" in values:
        values["generator"], values["generator_path"] = values["generator"]
    return RequestIDConfig(**values), r.problems


REQUEST_ID_RUNNING = Running(SETTINGS_NAME, parse_request_id)


def get_request_id_config() -> RequestIDConfig:
    """The running request-ID configuration (parsed once; dropped when settings change)."""
    return REQUEST_ID_RUNNING.config()


def request_id_problems() -> list[Problem]:
    """Problems found in the running request-ID configuration."""
    return REQUEST_ID_RUNNING.problems()


# Every variable of the app's features declared with the mechanism, for documentation and tests.
VARIABLES = (*REQUEST_ID_VARIABLES, API_KEYS, *TRACING_VARIABLES, *METRICS_VARIABLES, SERVER_TIMING, TRUSTED_PROXIES,
             FAILURE_RATE)
