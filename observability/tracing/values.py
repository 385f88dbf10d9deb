"""How each tracing variable is read and checked, for ``configuration.parse_tracing()``.

A validator gets the variable's name and value and returns the parsed value, or None after
recording a Problem that names the variable and the value (secrets as ``'***'``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from types import MappingProxyType
from urllib.parse import unquote

from observability.conf import DEFAULT_ENDPOINTS, EXPORTER_TYPES, GRPC_EXPORTERS, HEADER_NAME, TracingConfig
from observability.excluded_urls import pattern_error, split_patterns
from observability.parsing import SECRET, Problem, as_bool, as_http_url, as_number, shown
from observability.redaction import mask_url

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_TIMEOUT_SECONDS = 300.0
GRPC_SCHEME_HINT = (
    "Write http://host:4317 for plaintext or https://host:4317 for TLS: OpenTelemetry treats a "
    "gRPC endpoint without a scheme as TLS."
)
DEFAULTS: Mapping[str, object] = MappingProxyType({f.name: getattr(TracingConfig(), f.name)
                                                   for f in fields(TracingConfig)})


class Reader:
    """Looks variables up in precedence order and records the source of each value."""

    def __init__(self, raw: Mapping[str, object], environ: Mapping[str, str]):
        self.raw, self.environ = raw, environ
        self.problems: list[Problem] = []
        self.values: dict[str, object] = {}  # only what a variable set; TracingConfig has the defaults
        self.sources: dict[str, str] = {}

    def lookup(self, tracing_name: str, *otel_names: str) -> tuple[str, object] | None:
        """The first of `tracing_name` (settings) and `otel_names` (environment) that is set."""
        value = self.raw.get(tracing_name)
        if value is not None and value != "":
            return tracing_name, value
        for name in otel_names:
            if self.environ.get(name, "").strip():
                return name, self.environ[name]
        return None

    def take(self, key: str, found: tuple[str, object] | None, parse: Callable[[str, object], object]) -> None:
        """Parse `found` into field `key`; on a problem (parse returns None) the default stays."""
        if found is None:
            return
        value = parse(*found)
        if value is not None:
            self.values[key], self.sources[key] = value, found[0]

    def problem(self, problem_id: str, variable: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(problem_id, variable, message, hint))

    def value(self, key: str) -> object:
        """The value of field `key` so far: what a variable set, else TracingConfig's default."""
        return self.values[key] if key in self.values else DEFAULTS[key]


def enabled(r: Reader) -> None:
    if r.raw.get("TRACING_ENABLED") not in (None, ""):
        value = as_bool(r.raw["TRACING_ENABLED"])
        if value is None:
            r.problem("observability.E010", "TRACING_ENABLED", f"TRACING_ENABLED must be true or false, got "
                      f"{shown(r.raw['TRACING_ENABLED'])}.", "Use true or false (also yes/no, on/off, 1/0).")
        else:
            r.values["enabled"], r.sources["enabled"] = value, "TRACING_ENABLED"
    elif r.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        r.sources["enabled"] = "OTEL_SDK_DISABLED"


def exporter(r: Reader, name: str, value: object) -> str | None:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in EXPORTER_TYPES:
        return text
    r.problem("observability.E011", name, f"{name} must be one of {', '.join(EXPORTER_TYPES)}, "
              f"got {shown(value)}.",
              "otlp is OTLP over gRPC (port 4317), otlp_http OTLP over HTTP (4318), jaeger sends OTLP to "
              "Jaeger's own receiver, zipkin Zipkin v2 JSON, console prints spans.")
    return None


def endpoint(r: Reader, name: str, value: object, exporter: str) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    parts = as_http_url(text)
    if parts is None:
        example = DEFAULT_ENDPOINTS.get(exporter, "http://host:port")
        r.problem("observability.E012", name, f"{name} must be an http:// or https:// URL with a host, "
                  f"got {shown(mask_url(text))}.",
                  GRPC_SCHEME_HINT if exporter in GRPC_EXPORTERS else f"For example {example}.")
        return None
    if exporter in GRPC_EXPORTERS and (parts.username or parts.password):
        r.problem("observability.E023", name, f"{name} carries credentials, which a gRPC exporter never sends: "
                  f"{shown(mask_url(text))}.", "Pass them as a header instead: TRACING_HEADERS=authorization=...")
        return None
    return None if exporter == "console" else text


def resource(r: Reader) -> None:
    attributes = _resource_attributes(r)
    for key, tracing_name, otel_name, attribute in (
        ("service_name", "TRACING_SERVICE_NAME", "OTEL_SERVICE_NAME", "service.name"),
        ("service_version", "TRACING_SERVICE_VERSION", "", "service.version"),
        ("deployment_environment", "TRACING_DEPLOYMENT_ENVIRONMENT", "", "deployment.environment"),
    ):
        found = r.lookup(tracing_name, *filter(None, [otel_name]))
        if found is None and attribute in attributes:
            found = ("OTEL_RESOURCE_ATTRIBUTES", attributes[attribute])
        r.take(key, found, lambda n, v: _label(r, n, v))


def _resource_attributes(r: Reader) -> dict[str, str]:
    text = r.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    attributes = {}
    for number, entry in enumerate(filter(str.strip, text.split(",")), start=1):
        key, equals, value = entry.partition("=")
        if not equals or not key.strip():
            r.problem("observability.E021", "OTEL_RESOURCE_ATTRIBUTES", f"OTEL_RESOURCE_ATTRIBUTES entry {number} "
                      f"is not key=value: {shown(entry)}.", "Write key=value pairs separated by commas.")
            continue
        attributes[key.strip()] = unquote(value.strip())
    return attributes


def _label(r: Reader, name: str, value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if text and not CONTROL_CHARACTERS.search(text) and len(text) <= 255:
        return text
    problem_id = {"TRACING_SERVICE_VERSION": "observability.E019",
                  "TRACING_DEPLOYMENT_ENVIRONMENT": "observability.E020"}.get(name, "observability.E013")
    r.problem(problem_id, name, f"{name} must be a non-empty name of at most 255 printable characters, "
              f"got {shown(value)}.")
    return None


def rate(r: Reader, name: str, value: object) -> float | None:
    rate = as_number(value)
    if rate is not None and 0.0 <= rate <= 1.0:
        return rate
    r.problem("observability.E014", name, f"{name} must be a number from 0.0 to 1.0, got {shown(value)}.",
              "1.0 traces every request, 0.1 one in ten, 0.0 none (an incoming sampled traceparent is "
              "still honoured).")
    return None


def headers(r: Reader, name: str, value: object) -> Mapping[str, str] | None:
    if isinstance(value, Mapping):
        entries = [(str(k), "=", str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        entries = [entry.partition("=") for entry in value.split(",") if entry.strip()]
    else:
        entries = [("", "", "")]
    headers, before = {}, len(r.problems)
    for number, (key, equals, secret) in enumerate(entries, start=1):
        key, secret = unquote(key).strip().lower(), unquote(secret).strip()
        if not equals or not HEADER_NAME.fullmatch(key) or CONTROL_CHARACTERS.search(secret):
            # Never show any part of the entry: a pasted token may sit on either side of '='.
            r.problem("observability.E015", name, f"{name} entry {number} is not name=value with a valid header "
                      f"name and a printable value: {SECRET}.", "Write name=value pairs separated by commas, "
                      "for example authorization=Bearer%20<token>,x-tenant=acme (values may be %-encoded).")
            continue
        headers[key] = secret
    return MappingProxyType(headers) if len(r.problems) == before else None


def excluded(r: Reader, name: str, value: object) -> tuple[str, ...] | None:
    patterns, before = [], len(r.problems)
    for item in split_patterns(value):
        error = pattern_error(item)
        if error:
            r.problem("observability.E016", name, f"{name} pattern {shown(item)} {error}.",
                      "Give comma-separated path patterns matched from the start of the path, such as /health.")
        else:
            patterns.append(item.strip())
    return tuple(patterns) if len(r.problems) == before else None


def timeouts(r: Reader, exporter: str) -> None:
    otel = ("OTEL_EXPORTER_ZIPKIN_TIMEOUT",) if exporter == "zipkin" else (
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
    r.take("export_timeout", r.lookup("TRACING_EXPORT_TIMEOUT_SECONDS", *otel),
           lambda n, v: _seconds(r, "observability.E017", n, v))
    r.take("shutdown_timeout", r.lookup("TRACING_SHUTDOWN_TIMEOUT_SECONDS"),
           lambda n, v: _seconds(r, "observability.E018", n, v))


def _seconds(r: Reader, problem_id: str, name: str, value: object) -> float | None:
    # The specification gives OTEL_* timeouts in milliseconds (OpenTelemetry Python reads some
    # as seconds); ours say their unit in their name.
    milliseconds = name.startswith("OTEL_")
    amount = as_number(value)
    seconds = None if amount is None else amount / 1000 if milliseconds else amount
    if seconds is not None and 0 < seconds <= MAX_TIMEOUT_SECONDS:
        return seconds
    unit, limit = ("milliseconds", MAX_TIMEOUT_SECONDS * 1000) if milliseconds else ("seconds", MAX_TIMEOUT_SECONDS)
    r.problem(problem_id, name, f"{name} must be a number of {unit} above 0 and at most {limit:g}, "
              f"got {shown(value)}.",
              f"{name} is in {unit}" + ("." if milliseconds else "; a value in milliseconds would be far too long."))
    return None


def db_statements(r: Reader, name: str, value: object) -> bool | None:
    flag = as_bool(value)
    if flag is None:
        r.problem("observability.E025", name, f"{name} must be true or false, got {shown(value)}.",
                  "true puts each query's SQL, with its placeholders and never its values, on the database "
                  "spans; false leaves it out.")
    return flag


def batching(r: Reader) -> None:
    for key, name in (("max_queue_size", "OTEL_BSP_MAX_QUEUE_SIZE"),
                      ("schedule_delay_millis", "OTEL_BSP_SCHEDULE_DELAY"),
                      ("max_export_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")):
        r.take(key, r.lookup("", name), lambda n, v: _positive_int(r, n, v))
    batch, queue = r.value("max_export_batch_size"), r.value("max_queue_size")
    if batch > queue:
        r.problem("observability.E024", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", f"OTEL_BSP_MAX_EXPORT_BATCH_SIZE "
                  f"({batch}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE ({queue}).",
                  "Make the batch size at most the queue size.")
        r.values["max_export_batch_size"] = queue


def _positive_int(r: Reader, name: str, value: object) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    if text.isdigit() and 0 < int(text) <= 1_000_000:
        return int(text)
    r.problem("observability.E022", name, f"{name} must be a whole number from 1 to 1000000, "
              f"got {shown(value)}.",
              "OTEL_BSP_SCHEDULE_DELAY is in milliseconds; the queue and batch sizes count spans.")
    return None
