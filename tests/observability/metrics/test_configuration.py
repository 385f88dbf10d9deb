"""Metrics configuration: METRICS_* parsing, OTEL_* fallbacks, problems that name the variable."""

from __future__ import annotations

import pytest

from observability.metrics.configuration import MetricsConfig, get_metrics_config, metrics_problems, parse_metrics


def parse(raw=None, **environ):
    return parse_metrics(raw or {}, environ)


def test_defaults_without_any_setting():
    config, problems = parse()
    assert problems == []
    assert config == MetricsConfig()
    assert (config.enabled, config.exporters, config.endpoint, config.export_interval) == (
        True, ("prometheus",), None, 60.0)
    assert config.excluded_urls == ("/health", "/health/ready", "/metrics")
    assert (config.anonymous, config.multiproc_dir) == (False, None)
    assert config.serves_prometheus and config.push_exporter is None


@pytest.mark.parametrize(("exporters", "endpoint"), [
    ("otlp", "http://localhost:4317"), ("otlp_http", "http://localhost:4318/v1/metrics"),
    ("prometheus, OTLP", "http://localhost:4317"), ("console", None),
])
def test_push_exporters_and_their_default_endpoints(exporters, endpoint):
    config, problems = parse({"METRICS_EXPORTER": exporters})
    assert problems == []
    assert config.endpoint == endpoint
    assert config.push_exporter == exporters.split(",")[-1].strip().lower()


def test_otel_variables_apply_where_metrics_variables_are_unset():
    config, problems = parse({"METRICS_EXPORTER": "otlp_http"}, OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318/",
                             OTEL_METRIC_EXPORT_INTERVAL="15000")
    assert problems == []
    assert (config.endpoint, config.export_interval) == ("http://c:4318/v1/metrics", 15.0)
    config, _ = parse({"METRICS_EXPORTER": "otlp", "METRICS_ENDPOINT": "http://mine:4317"},
                      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="http://theirs:4317")
    assert config.endpoint == "http://mine:4317"
    config, _ = parse({"METRICS_EXPORTER": "otlp"}, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="http://theirs:4317")
    assert config.endpoint == "http://theirs:4317"


def test_otel_variables_are_not_read_when_nothing_is_pushed():
    # They may be meant for tracing alone: a bad one must not stop a server that only serves /metrics.
    config, problems = parse(OTEL_EXPORTER_OTLP_ENDPOINT="collector:4317", OTEL_METRIC_EXPORT_INTERVAL="x")
    assert problems == [] and config.endpoint is None


@pytest.mark.parametrize(("raw", "environ", "check_id", "variable"), [
    ({"METRICS_ENABLED": "perhaps"}, {}, "observability.E050", "METRICS_ENABLED"),
    ({"METRICS_EXPORTER": "graphite"}, {}, "observability.E051", "METRICS_EXPORTER"),
    ({"METRICS_EXPORTER": " , "}, {}, "observability.E051", "METRICS_EXPORTER"),
    ({"METRICS_EXPORTER": "otlp", "METRICS_ENDPOINT": "ftp://c"}, {}, "observability.E052", "METRICS_ENDPOINT"),
    ({"METRICS_EXPORTER": "otlp"}, {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "c:1"}, "observability.E052",
     "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
    ({"METRICS_EXPORT_INTERVAL_SECONDS": "0"}, {}, "observability.E053", "METRICS_EXPORT_INTERVAL_SECONDS"),
    ({"METRICS_EXPORT_INTERVAL_SECONDS": "often"}, {}, "observability.E053", "METRICS_EXPORT_INTERVAL_SECONDS"),
    ({"METRICS_ANONYMOUS": "everyone"}, {}, "observability.E054", "METRICS_ANONYMOUS"),
    ({"METRICS_EXCLUDED_URLS": "/ok,(/unclosed"}, {}, "observability.E055", "METRICS_EXCLUDED_URLS"),
    ({"METRICS_MULTIPROC_DIR": "not/absolute"}, {}, "observability.E056", "METRICS_MULTIPROC_DIR"),
    ({}, {"PROMETHEUS_MULTIPROC_DIR": "/etc/passwd"}, "observability.E056", "PROMETHEUS_MULTIPROC_DIR"),
    ({"METRICS_EXPORTER": "otlp_http,otlp"}, {}, "observability.E057", "METRICS_EXPORTER"),
    ({"METRICS_EXPORTER": "otlp", "METRICS_ENDPOINT": "http://user:pw@c:4317"}, {}, "observability.E058",
     "METRICS_ENDPOINT"),
])
def test_each_invalid_value_names_its_variable(raw, environ, check_id, variable):
    config, problems = parse(raw, **environ)
    assert [(p.id, p.variable) for p in problems] == [(check_id, variable)]
    assert problems[0].message.startswith(variable) and problems[0].hint
    assert "pw@" not in problems[0].message  # credentials are masked


def test_an_invalid_value_keeps_its_default():
    config, _ = parse({"METRICS_EXPORT_INTERVAL_SECONDS": "-5", "METRICS_EXCLUDED_URLS": "nope"})
    assert (config.export_interval, config.excluded_urls) == (60.0, MetricsConfig.excluded_urls)


def test_problems_are_warnings_with_metrics_off(settings):
    settings.OBSERVABILITY = {"METRICS_ENABLED": "false", "METRICS_EXPORTER": "statsd"}
    assert [p.id for p in metrics_problems()] == ["observability.W051"]
    settings.OBSERVABILITY = {"METRICS_EXPORTER": "statsd"}
    assert [p.id for p in metrics_problems()] == ["observability.E051"]
    settings.OBSERVABILITY = {"METRICS_ENABLED": "nah", "METRICS_EXPORTER": "statsd"}
    assert {p.id for p in metrics_problems()} == {"observability.E050", "observability.E051"}


def test_the_running_configuration_follows_settings(settings):
    settings.OBSERVABILITY = {"METRICS_ANONYMOUS": "yes", "METRICS_EXCLUDED_URLS": ["/a", "/b/"]}
    assert get_metrics_config().anonymous is True
    assert get_metrics_config().excluded_urls == ("/a", "/b/")
