"""The tracing variables parsed: TRACING_* first, then the standard OTEL_* ones, then defaults.

Every value is checked here, so nothing invalid reaches the SDK (which would log a traceback,
or a header value, from deep inside). Each problem names the variable and the value, with
secrets shown as ``'***'``; IDs are the observability 010-039 range. The configuration is
parsed from the settings in one direction: ``TracingConfig``'s own defaults, then what the
environment and ``OBSERVABILITY`` set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from observability.conf import SETTINGS_NAME, TracingConfig
from observability.parsing import Problem, cached_until_changed, setting_dict
from observability.redaction import url_secrets
from observability.tracing import values as v


def parse_tracing(
    raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
) -> tuple[TracingConfig, list[Problem]]:
    """Validate TRACING_* (and the OTEL_* variables they fall back to); invalid ones keep their default."""
    r = v.Reader(raw, os.environ if environ is None else environ)
    v.enabled(r)
    r.take("exporter_type", r.lookup("TRACING_EXPORTER"), lambda name, value: v.exporter(r, name, value))
    exporter = str(r.value("exporter_type"))
    r.take("endpoint", _endpoint_lookup(r, exporter), lambda name, value: v.endpoint(r, name, value, exporter))
    v.resource(r)
    r.take("sample_rate", r.lookup("TRACING_SAMPLE_RATE", "OTEL_TRACES_SAMPLER_ARG"),
           lambda name, value: v.rate(r, name, value))
    r.take("headers", r.lookup("TRACING_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"),
           lambda name, value: v.headers(r, name, value))
    r.take("excluded_urls", r.lookup("TRACING_EXCLUDED_URLS"), lambda name, value: v.excluded(r, name, value))
    v.timeouts(r, exporter)
    r.take("db_statements", r.lookup("TRACING_DB_STATEMENTS"), lambda name, value: v.db_statements(r, name, value))
    v.batching(r)
    return TracingConfig(**r.values, sources=MappingProxyType(r.sources)), r.problems


@cached_until_changed(SETTINGS_NAME)
def _parsed() -> tuple[TracingConfig, list[Problem]]:
    return parse_tracing(setting_dict(SETTINGS_NAME))


def get_tracing_config() -> TracingConfig:
    """The running tracing configuration (cached; dropped when settings change)."""
    return _parsed()[0]


def tracing_problems() -> list[Problem]:
    """Problems of the running configuration: errors with tracing on, warnings with it off."""
    config, problems = _parsed()
    return list(problems) if problems_are_errors(config, problems) else [p.as_warning() for p in problems]


def tracing_secrets() -> list[str]:
    """What the exporter's configuration holds that is secret: header values, the endpoint's password and query."""
    config = get_tracing_config()
    return [*config.headers.values(), *url_secrets(config.endpoint)]


def problems_are_errors(config: TracingConfig, problems: list[Problem]) -> bool:
    """Errors when tracing is on, or when TRACING_ENABLED itself is unreadable; else warnings."""
    return config.enabled or any(p.variable == "TRACING_ENABLED" for p in problems)


def _endpoint_lookup(r: v.Reader, exporter: str) -> tuple[str, object] | None:
    if exporter == "console":
        return r.lookup("TRACING_ENDPOINT")  # checked, though the console needs no endpoint
    if exporter == "zipkin":
        return r.lookup("TRACING_ENDPOINT", "OTEL_EXPORTER_ZIPKIN_ENDPOINT")
    found = r.lookup("TRACING_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if found is None and (base := r.lookup("", "OTEL_EXPORTER_OTLP_ENDPOINT")) is not None:
        # The generic OTLP endpoint is a base URL: HTTP appends the signal's path to it.
        text = str(base[1]).strip()
        found = (base[0], text.rstrip("/") + "/v1/traces" if exporter == "otlp_http" else text)
    return found
