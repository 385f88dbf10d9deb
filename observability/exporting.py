"""What every exporter of the project shares: the endpoint, headers, timeout and resource, declared once.

Tracing and metrics (and any later signal) read their collector's settings here, in one order:
the app's own variable (``TRACING_ENDPOINT``, ``METRICS_ENDPOINT``), then the standard signal
variable (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), then the generic OTLP base URL
(``OTEL_EXPORTER_OTLP_ENDPOINT``, to which OTLP over HTTP appends ``/v1/<signal>``), then the
exporter's default. Headers, the export timeout and the resource (``service.name``,
``service.version``, ``deployment.environment``) are one block for every signal: the collector
is usually one, and so is the service. Problems name the variable and the value, secrets as
``'***'``; each signal passes its own check IDs, which are never reused.

Where nothing sets the service name or the environment, the project's own defaults
(``OBSERVABILITY_DEFAULTS``) do, and without them they come from the project itself: the
package of its settings module (``mysite`` for ``mysite.settings``) and ``DEBUG``
(``development`` or ``production``). A library's name for every project's spans would put
them all under one service, and a DEBUG project's under production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import unquote

from django.conf import settings as django_settings

from observability.parsing import SECRET, Found, Invalid, Reader, Running, Variable, as_http_url, as_number, shown
from observability.redaction import mask_url

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource

SETTINGS_NAME = "OBSERVABILITY"
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token characters
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_TIMEOUT_SECONDS = 300.0
GRPC_SCHEME_HINT = (
    "Write http://host:4317 for plaintext or https://host:4317 for TLS: OpenTelemetry treats a "
    "gRPC endpoint without a scheme as TLS."
)
OTLP_GRPC_ENDPOINT = "http://localhost:4317"
OTLP_HTTP_BASE = "http://localhost:4318"


def otlp_default_endpoint(signal: str, grpc: bool) -> str:
    """Where OTLP goes when nothing says: the local collector's gRPC port, or its HTTP path for `signal`."""
    return OTLP_GRPC_ENDPOINT if grpc else f"{OTLP_HTTP_BASE}/v1/{signal}"


def endpoint_lookup(r: Reader, name: str, signal: str, exporter: str, grpc: bool) -> Found | None:
    """The endpoint variable that is set, in the order the module's docstring gives."""
    if exporter == "console":
        return r.lookup([name])  # checked, though the console needs no endpoint
    if exporter == "zipkin":
        return r.lookup([name], ["OTEL_EXPORTER_ZIPKIN_ENDPOINT"])
    found = r.lookup([name], [f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT"])
    if found is None and (base := r.lookup([], ["OTEL_EXPORTER_OTLP_ENDPOINT"])) is not None:
        text = str(base.value).strip()
        found = Found(base.name, text if grpc else f"{text.rstrip('/')}/v1/{signal}", base.origin)
    return found or r.project_default([name])


def endpoint_parser(grpc: bool, example: str, credentials_id: str) -> Callable[[object, str], str]:
    """The endpoint rule: an http(s) URL with a host; a gRPC exporter's may carry no credentials."""
    def parse(value: object, name: str) -> str:
        text = value.strip() if isinstance(value, str) else ""
        parts = as_http_url(text)
        if parts is None:
            raise Invalid(f"{name} must be an http:// or https:// URL with a host, got {shown(mask_url(text))}.",
                          hint=GRPC_SCHEME_HINT if grpc else f"For example {example}.")
        if grpc and (parts.username or parts.password):
            raise Invalid(f"{name} carries credentials, which a gRPC exporter never sends: "
                          f"{shown(mask_url(text))}.", credentials_id,
                          "Pass them as a header instead: TRACING_HEADERS=authorization=...")
        return text
    return parse


def seconds(value: object, name: str, low: float, high: float, hint: str = "") -> float:
    """Seconds from `value`, above `low` (from it, when it is above 0) and at most `high`.

    An ``OTEL_*`` variable is in milliseconds, as the specification gives them; ours say their
    unit in their name.
    """
    milliseconds = name.startswith("OTEL_")
    amount = as_number(value)
    number = None if amount is None else amount / 1000 if milliseconds else amount
    if number is not None and (number > low or 0 < low == number) and number <= high:
        return float(number)
    unit, scale = ("milliseconds", 1000) if milliseconds else ("seconds", 1)
    bound = f"from {low * scale:g} to" if low else "above 0 and at most"
    raise Invalid(f"{name} must be a number of {unit} {bound} {high * scale:g}, got {shown(value)}.",
                  hint=f"{name} is in {unit}" + (hint or (
                      "." if milliseconds else "; a value in milliseconds would be far too long.")))


def timeout(value: object, name: str) -> float:
    return seconds(value, name, 0.0, MAX_TIMEOUT_SECONDS)


def headers(value: object, name: str) -> Mapping[str, str]:
    if isinstance(value, Mapping):
        entries = [(str(k), "=", str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        entries = [entry.partition("=") for entry in value.split(",") if entry.strip()]
    else:
        entries = [("", "", "")]
    parsed = {}
    for number, (key, equals, secret) in enumerate(entries, start=1):
        key, secret = unquote(key).strip().lower(), unquote(secret).strip()
        if not equals or not HEADER_NAME.fullmatch(key) or CONTROL_CHARACTERS.search(secret):
            # Never any part of the entry: a pasted token may sit on either side of '='.
            raise Invalid(f"{name} entry {number} is not name=value with a valid header name and a printable "
                          f"value: {SECRET}.")
        parsed[key] = secret
    return MappingProxyType(parsed)


def label(value: object, name: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text and not CONTROL_CHARACTERS.search(text) and len(text) <= 255:
        return text
    raise Invalid(f"{name} must be a non-empty name of at most 255 printable characters, got {shown(value)}.")


HEADERS = Variable("TRACING_HEADERS", "headers", headers, "observability.E015",
                   "Write name=value pairs separated by commas, for example authorization=Bearer%20<token>,"
                   "x-tenant=acme (values may be %-encoded).",
                   otel=("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"))
EXPORT_TIMEOUT = Variable("TRACING_EXPORT_TIMEOUT_SECONDS", "export_timeout", timeout, "observability.E017",
                          otel=("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"))
ZIPKIN_TIMEOUT = replace(EXPORT_TIMEOUT, otel=("OTEL_EXPORTER_ZIPKIN_TIMEOUT",))
# The version of the deployment (healthdash's fleet shows it): service.version when neither
# TRACING_SERVICE_VERSION nor OTEL_RESOURCE_ATTRIBUTES sets one.
SERVICE_VERSION = "SERVICE_VERSION"
RESOURCE = (
    (Variable("TRACING_SERVICE_NAME", "service_name", label, "observability.E013", otel=("OTEL_SERVICE_NAME",)),
     "service.name"),
    (Variable("TRACING_SERVICE_VERSION", "service_version", label, "observability.E019"), "service.version"),
    (Variable("TRACING_DEPLOYMENT_ENVIRONMENT", "deployment_environment", label, "observability.E020"),
     "deployment.environment"),
)


def read_export_block(r: Reader, exporter: str = "otlp") -> None:
    """Headers, export timeout and resource into `r`, for a signal exporting through `exporter`."""
    attributes = resource_attributes(r)
    for variable, attribute in RESOURCE:
        found = r.lookup([variable.name], variable.otel)
        if found is None and attribute in attributes:
            found = Found("OTEL_RESOURCE_ATTRIBUTES", attributes[attribute], "environment")
        if found is None and attribute == "service.version":
            found = deployment_version(r)
        r.read(variable, found or r.project_default([variable.name]))
    r.derive("service_name", project_service_name())
    r.derive("deployment_environment", "development" if django_settings.DEBUG else "production")
    r.read(HEADERS)
    r.read(ZIPKIN_TIMEOUT if exporter == "zipkin" else EXPORT_TIMEOUT)


def deployment_version(r: Reader) -> Found | None:
    """``SERVICE_VERSION``, the deployment's version as healthdash's fleet shows it, when valid.

    healthdash declares the variable and refuses a bad value (``healthdash.E031``): reporting it here
    too would give one mistake two IDs, so a bad value only leaves the resource's default.
    """
    found = r.lookup([SERVICE_VERSION])
    try:
        return found and Found(found.name, label(found.value, found.name), found.origin)
    except Invalid:
        return None


def resource_attributes(r: Reader) -> dict[str, str]:
    """``OTEL_RESOURCE_ATTRIBUTES`` as a dict; an entry that is not key=value is a problem."""
    attributes = {}
    for number, entry in enumerate(filter(str.strip, r.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")), 1):
        key, equals, value = entry.partition("=")
        if not equals or not key.strip():
            r.problem("observability.E021", "OTEL_RESOURCE_ATTRIBUTES", f"OTEL_RESOURCE_ATTRIBUTES entry {number} "
                      f"is not key=value: {shown(entry)}.", "Write key=value pairs separated by commas.")
            continue
        attributes[key.strip()] = unquote(value.strip())
    return attributes


def project_service_name() -> str:
    """The package of the project's settings module; OpenTelemetry's name for an unknown service without one."""
    module = getattr(django_settings, "SETTINGS_MODULE", None) or ""
    return module.partition(".")[0] or ExportSettings.service_name


# Settings the resource's defaults are derived from: a configuration read from them is dropped when they change.
DERIVED_FROM = ("DEBUG", "SETTINGS_MODULE")


@dataclass(frozen=True)
class ExportSettings:
    """The block every signal's exporter shares; the defaults below are the ones an unset variable gets.

    Parsed from the settings, the service name and environment are the project's instead (the
    module's docstring says how); these are for a configuration built in code.
    """

    service_name: str = "unknown_service"
    service_version: str = "unknown"
    deployment_environment: str = "production"
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)  # secret
    export_timeout: float = 10.0  # seconds


def parse_export_settings(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                          ) -> tuple[ExportSettings, list]:
    """The shared block alone (tracing's configuration reports its problems, so none are returned)."""
    r = Reader(raw, environ, SETTINGS_NAME)
    read_export_block(r)
    return ExportSettings(**r.values), []


EXPORT_SETTINGS = Running(SETTINGS_NAME, parse_export_settings, derived_from=DERIVED_FROM)


def export_settings() -> ExportSettings:
    """The running shared block, for exporters other than tracing's (metrics pushes)."""
    return EXPORT_SETTINGS.config()


def build_resource(settings: ExportSettings) -> Resource:
    """service.name, service.version and deployment.environment, over OTEL_RESOURCE_ATTRIBUTES."""
    from opentelemetry.sdk.resources import Resource

    return Resource.create({
        "service.name": settings.service_name,
        "service.version": settings.service_version,
        "deployment.environment": settings.deployment_environment,
        "deployment.environment.name": settings.deployment_environment,
    })
