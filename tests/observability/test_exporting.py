"""Tracing and metrics read the rules they share alike: excluded paths, the endpoint, the export block.

Each rule is written once (``observability.excluded_urls``, ``observability.exporting``); these
cases give both features the same value and compare what they make of it, so that a copy of a
rule drifting in one of them (``/health,,/x`` was an error for tracing and accepted for metrics)
fails here.
"""

from __future__ import annotations

import pytest

from observability.metrics.configuration import parse_metrics
from observability.tracing.configuration import parse_tracing


def both(tracing_raw: dict, metrics_raw: dict, **environ):
    """(tracing's config and problems, metrics' config and problems) for the same environment."""
    return parse_tracing(tracing_raw, environ), parse_metrics(metrics_raw, environ)


def variables_of(problems) -> list[str]:
    return [problem.variable for problem in problems]


@pytest.mark.parametrize(("value", "expected"), [
    ("/health,,/x", ("/health", "/x")),
    ("/health,", ("/health",)),
    (" /a , /b/ ", ("/a", "/b/")),
    (["/a", " ", "/b"], ("/a", "/b")),
    ("health", None),
    ("/ok,(/unclosed", None),
])
def test_excluded_paths_are_one_rule(value, expected):
    (tracing, tracing_problems), (metrics, metrics_problems) = both(
        {"TRACING_EXCLUDED_URLS": value}, {"METRICS_EXCLUDED_URLS": value})
    if expected is None:
        assert variables_of(tracing_problems) == ["TRACING_EXCLUDED_URLS"]
        assert variables_of(metrics_problems) == ["METRICS_EXCLUDED_URLS"]
        assert tracing_problems[0].message.split(" pattern ")[1] == metrics_problems[0].message.split(" pattern ")[1]
    else:
        assert (tracing_problems, metrics_problems) == ([], [])
        assert tracing.excluded_urls == metrics.excluded_urls == expected


@pytest.mark.parametrize(("exporter", "environ", "traces", "metrics"), [
    ("otlp_http", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, "http://c:4318/v1/traces",
     "http://c:4318/v1/metrics"),
    ("otlp", {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4317"}, "https://c:4317", "https://c:4317"),
    ("otlp_http", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318",
                   "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/v1/traces",
                   "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:4318/v1/metrics"},
     "http://t:4318/v1/traces", "http://m:4318/v1/metrics"),
    ("otlp", {}, "http://localhost:4317", "http://localhost:4317"),
    ("otlp_http", {}, "http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics"),
])
def test_the_endpoint_follows_one_order_of_otel_variables(exporter, environ, traces, metrics):
    (tracing, tracing_problems), (metrics_config, metrics_problems) = both(
        {"TRACING_ENABLED": "true", "TRACING_EXPORTER": exporter}, {"METRICS_EXPORTER": exporter}, **environ)
    assert (tracing_problems, metrics_problems) == ([], [])
    assert (tracing.endpoint, metrics_config.endpoint) == (traces, metrics)


@pytest.mark.parametrize(("exporter", "endpoint", "tracing_id", "metrics_id"), [
    ("otlp_http", "collector:4318", "observability.E012", "observability.E052"),
    ("otlp", "ftp://collector:4317", "observability.E012", "observability.E052"),
    ("otlp", "http://user:secret@collector:4317", "observability.E023", "observability.E058"),
])
def test_the_endpoint_rule_refuses_the_same_values(exporter, endpoint, tracing_id, metrics_id):
    (_, tracing_problems), (_, metrics_problems) = both(
        {"TRACING_ENABLED": "true", "TRACING_EXPORTER": exporter, "TRACING_ENDPOINT": endpoint},
        {"METRICS_EXPORTER": exporter, "METRICS_ENDPOINT": endpoint})
    assert [problem.id for problem in tracing_problems] == [tracing_id]
    assert [problem.id for problem in metrics_problems] == [metrics_id]
    assert "secret" not in tracing_problems[0].message + metrics_problems[0].message


def test_metrics_push_with_tracing_s_headers_timeout_and_resource():
    (tracing, _), (metrics, _) = both(
        {"TRACING_EXPORTER": "otlp"}, {"METRICS_EXPORTER": "otlp"},
        OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer%20t", OTEL_EXPORTER_OTLP_TIMEOUT="2500",
        OTEL_SERVICE_NAME="billing", OTEL_RESOURCE_ATTRIBUTES="service.version=1.2,deployment.environment=staging")
    shared = ("headers", "export_timeout", "service_name", "service_version", "deployment_environment")
    assert [getattr(metrics.export, key) for key in shared] == [getattr(tracing, key) for key in shared]
    assert (dict(metrics.export.headers), metrics.export.export_timeout, metrics.export.service_name) == (
        {"authorization": "Bearer t"}, 2.5, "billing")
    assert (metrics.export.service_version, metrics.export.deployment_environment) == ("1.2", "staging")
