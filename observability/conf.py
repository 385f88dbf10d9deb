"""Configuration of observability: declared once, parsed once, reported as checks and errors.

A project configures the app with one dict, ``settings.OBSERVABILITY``, keyed by the names of
the environment variables (``{"REQUEST_ID_HEADER": "X-Correlation-ID"}``); values may be the
strings an environment holds or typed Python values. Defaults live only in the dataclasses
below. A parser collects every problem instead of stopping at the first, so an operator sees
all of them at once; ``checks.py`` reports them and ``startup.py`` refuses start-up on errors.

The building blocks (``Problem``, the value casts, the caches) are in ``observability.parsing``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.utils.module_loading import import_string

from observability.parsing import SECRET, Problem, as_bool, cached_until_changed, setting_dict, shown
from observability.request_id import generate_request_id, is_valid_request_id

SETTINGS_NAME = "OBSERVABILITY"
# RFC 9110 token characters: what a header field name may contain.
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# --- API keys ---------------------------------------------------------------------------------


def key_digest(key: str) -> bytes:
    """The digest keys are compared by: equal lengths, so comparing leaks nothing of the key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def parse_api_keys(raw: Mapping[str, object]) -> tuple[tuple[bytes, ...], list[Problem]]:
    """Digests of ``API_KEYS`` (a list, or a comma-separated string); the keys themselves are not kept."""
    keys = raw.get("API_KEYS")
    if keys is None:
        return (), []
    if isinstance(keys, str):
        keys = keys.split(",")
    if not isinstance(keys, list | tuple | set | frozenset) or not all(isinstance(k, str) for k in keys):
        # Never the value itself: it is a secret.
        return (), [Problem("observability.E006", "API_KEYS", f"API_KEYS must be a list of strings, got {SECRET}.",
                            "Give OBSERVABILITY['API_KEYS'] a list of keys (chimera fills it from CHIMERA_API_KEYS).")]
    return tuple(key_digest(key.strip()) for key in keys if key.strip()), []


@cached_until_changed(SETTINGS_NAME)
def _api_keys_parsed() -> tuple[tuple[bytes, ...], list[Problem]]:
    return parse_api_keys(setting_dict(SETTINGS_NAME))


def api_key_digests() -> tuple[bytes, ...]:
    """Digests of the keys that may call the apps' operational endpoints (dashboard details, metrics)."""
    return _api_keys_parsed()[0]


def api_key_problems() -> list[Problem]:
    """Problems found in ``API_KEYS``."""
    return list(_api_keys_parsed()[1])


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
                "observability.E001", "REQUEST_ID_HEADER",
                f"REQUEST_ID_HEADER is not a valid HTTP header name: {shown(header)}.",
                "Use letters, digits and hyphens, for example X-Request-ID.",
            ))
    if "REQUEST_ID_TRUST_INCOMING" in raw:
        trust = as_bool(raw["REQUEST_ID_TRUST_INCOMING"])
        if trust is None:
            problems.append(Problem(
                "observability.E002", "REQUEST_ID_TRUST_INCOMING",
                f"REQUEST_ID_TRUST_INCOMING must be true or false, got {shown(raw['REQUEST_ID_TRUST_INCOMING'])}.",
                "Use true or false (also yes/no, on/off, 1/0).",
            ))
        else:
            values["trust_incoming"] = trust
    if raw.get("REQUEST_ID_GENERATOR"):
        values.update(_generator(raw["REQUEST_ID_GENERATOR"], problems))
    if "JSON_ERROR_PREFIXES" in raw:
        prefixes = raw["JSON_ERROR_PREFIXES"]
        prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
        if isinstance(prefixes, list | tuple) and all(isinstance(p, str) and p.startswith("/") for p in prefixes):
            values["json_error_prefixes"] = tuple(prefixes)
        else:
            problems.append(Problem(
                "observability.E004", "JSON_ERROR_PREFIXES",
                f"JSON_ERROR_PREFIXES must be a list of paths starting with '/', got {shown(prefixes)}.",
                'For example ["/api/"].',
            ))
    return RequestIDConfig(**values), problems


def _generator(path: object, problems: list[Problem]) -> dict[str, object]:
    """The generator entries of RequestIDConfig for `path`, or none (and a Problem)."""
    try:
        generator = import_string(str(path))
    except ImportError as exc:
        problems.append(Problem("observability.E003", "REQUEST_ID_GENERATOR",
                                f"REQUEST_ID_GENERATOR {shown(path)} cannot be imported: {exc}",
                                "Give the dotted path of a function that returns a string, "
                                "for example myproject.ids.make_request_id."))
        return {}
    if not callable(generator):
        problems.append(Problem("observability.E007", "REQUEST_ID_GENERATOR",
                                f"REQUEST_ID_GENERATOR {shown(path)} is not callable.",
                                "Give the dotted path of a function that returns a string."))
        return {}
    try:
        valid = is_valid_request_id(generator())
    except Exception:  # any failure of the operator's function means it cannot be used
        valid = False
    if not valid:
        problems.append(Problem("observability.E005", "REQUEST_ID_GENERATOR",
                                f"REQUEST_ID_GENERATOR {shown(path)} does not return a valid request ID.",
                                "Return 1 to 128 characters from letters, digits and - _ . : / + = @."))
        return {}
    return {"generator": generator, "generator_path": str(path)}


@cached_until_changed(SETTINGS_NAME)
def _request_id_parsed() -> tuple[RequestIDConfig, list[Problem]]:
    return parse_request_id(setting_dict(SETTINGS_NAME))


def get_request_id_config() -> RequestIDConfig:
    """The running request-ID configuration (cached; dropped when settings change)."""
    return _request_id_parsed()[0]


def request_id_problems() -> list[Problem]:
    """Problems found in the running request-ID configuration."""
    return list(_request_id_parsed()[1])


# --- Tracing ----------------------------------------------------------------------------------
# Parsed by observability.tracing.configuration (TRACING_* entries, then the OTEL_* variables).

EXPORTER_TYPES = ("otlp", "otlp_http", "jaeger", "zipkin", "console")
# Exporters speaking OTLP over gRPC: jaeger is Jaeger's own OTLP receiver.
GRPC_EXPORTERS = frozenset({"otlp", "jaeger"})
DEFAULT_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "otlp": "http://localhost:4317",
    "otlp_http": "http://localhost:4318/v1/traces",
    "jaeger": "http://localhost:4317",
    "zipkin": "http://localhost:9411/api/v2/spans",
})


@dataclass(frozen=True)
class TracingConfig:
    """Validated tracing configuration; the defaults below are the ones an unset variable gets.

    ``endpoint=None`` means the exporter's default endpoint. The running configuration is
    ``observability.tracing.configuration.get_tracing_config()``.
    """

    enabled: bool = False
    exporter_type: str = "console"
    endpoint: str | None = None
    service_name: str = "chimera-backend"
    service_version: str = "unknown"
    deployment_environment: str = "production"
    sample_rate: float = 1.0
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)  # secret
    excluded_urls: tuple[str, ...] = ("/health", "/health/ready")
    export_timeout: float = 10.0  # seconds
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
    # Where each value came from: a variable's name; values not listed are defaults.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.endpoint is None and self.exporter_type in DEFAULT_ENDPOINTS:
            object.__setattr__(self, "endpoint", DEFAULT_ENDPOINTS[self.exporter_type])

    @property
    def uses_grpc(self) -> bool:
        """Whether the exporter sends OTLP over gRPC (otlp, jaeger)."""
        return self.exporter_type in GRPC_EXPORTERS

    def source(self, key: str) -> str:
        """Where the value of field `key` came from: a variable's name, or ``default``."""
        return self.sources.get(key, "default")
