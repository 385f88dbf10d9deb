"""Tracing configuration: TRACING_* parsing, OTEL_* precedence, problems, TracingConfig()."""

from __future__ import annotations

import os

import pytest

from observability.tracing.configuration import (
    DEFAULT_ENDPOINTS,
    TracingConfig,
    get_tracing_config,
    parse_tracing,
    problems_are_errors,
)

SECRET = "hunter2-secret-token"


def parse(raw=None, **environ):
    return parse_tracing(raw or {}, environ)


def test_defaults_without_any_setting():
    config, problems = parse()
    assert problems == []
    assert (config.enabled, config.exporter_type, config.endpoint) == (False, "console", None)
    assert (config.service_name, config.sample_rate) == ("chimera-backend", 1.0)
    assert config.excluded_urls == ("/health", "/health/ready", "/metrics")
    assert (config.export_timeout, config.shutdown_timeout) == (10.0, 5.0)
    assert config.source("sample_rate") == "default"
    # The demo's own default, after the environment (chimera/settings.py).
    assert config.origin("service_name") == "settings OBSERVABILITY_DEFAULTS['TRACING_SERVICE_NAME']"
    assert config.sources == {"service_name": "TRACING_SERVICE_NAME"}


@pytest.mark.parametrize("exporter", ["otlp", "otlp_http", "jaeger", "zipkin"])
def test_network_exporters_default_to_their_endpoint(exporter):
    config, problems = parse({"TRACING_ENABLED": "true", "TRACING_EXPORTER": exporter.upper()})
    assert problems == []
    assert config.exporter_type == exporter
    assert config.endpoint == DEFAULT_ENDPOINTS[exporter]
    assert config.endpoint.startswith("http")


def test_jaeger_sends_otlp_over_grpc_to_port_4317():
    config, _ = parse({"TRACING_EXPORTER": "jaeger"})
    assert config.uses_grpc
    assert config.endpoint == "http://localhost:4317"


def test_strings_from_the_environment_are_parsed():
    config, problems = parse({
        "TRACING_ENABLED": "yes", "TRACING_EXPORTER": "otlp_http", "TRACING_ENDPOINT": "https://otel.example/v1/traces",
        "TRACING_SERVICE_NAME": "svc", "TRACING_SAMPLE_RATE": "0.25",
        "TRACING_HEADERS": "Authorization=Bearer%20x, X-Tenant=a",
        "TRACING_EXCLUDED_URLS": "/health, /static/", "TRACING_EXPORT_TIMEOUT_SECONDS": "2.5",
        "TRACING_SHUTDOWN_TIMEOUT_SECONDS": "3",
    })
    assert problems == []
    assert config.enabled is True
    assert config.endpoint == "https://otel.example/v1/traces"
    assert config.sample_rate == 0.25
    assert dict(config.headers) == {"authorization": "Bearer x", "x-tenant": "a"}
    assert config.excluded_urls == ("/health", "/static/")
    assert (config.export_timeout, config.shutdown_timeout) == (2.5, 3.0)
    assert config.sources["sample_rate"] == "TRACING_SAMPLE_RATE"


def test_typed_python_values_are_accepted():
    config, problems = parse({
        "TRACING_ENABLED": True, "TRACING_SAMPLE_RATE": 0.5, "TRACING_EXCLUDED_URLS": ["/internal/"],
        "TRACING_HEADERS": {"X-Key": "v"}, "TRACING_EXPORT_TIMEOUT_SECONDS": 3,
    })
    assert problems == []
    assert (config.enabled, config.sample_rate, config.excluded_urls) == (True, 0.5, ("/internal/",))
    assert dict(config.headers) == {"x-key": "v"}
    assert config.export_timeout == 3.0


def test_headers_never_appear_in_repr():
    config, _ = parse({"TRACING_HEADERS": f"authorization={SECRET}"})
    assert SECRET not in repr(config)


# --- One test per problem ID: the message names the variable and the value, secrets masked ----


@pytest.mark.parametrize(("raw", "environ", "problem_id", "variable", "shown"), [
    ({"TRACING_ENABLED": "maybe"}, {}, "observability.E010", "TRACING_ENABLED", "'maybe'"),
    ({"TRACING_EXPORTER": "kafka"}, {}, "observability.E011", "TRACING_EXPORTER", "'kafka'"),
    ({"TRACING_ENDPOINT": "collector:4317", "TRACING_EXPORTER": "otlp"}, {}, "observability.E012", "TRACING_ENDPOINT",
     "collector:4317"),
    ({"TRACING_ENDPOINT": "ftp://collector/x"}, {}, "observability.E012", "TRACING_ENDPOINT", "ftp://collector/x"),
    ({"TRACING_ENDPOINT": "http://"}, {}, "observability.E012", "TRACING_ENDPOINT", "'http://'"),
    ({"TRACING_ENDPOINT": "http://host:99999"}, {}, "observability.E012", "TRACING_ENDPOINT", "http://host:99999"),
    ({"TRACING_EXPORTER": "otlp"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"}, "observability.E012",
     "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
    ({"TRACING_SERVICE_NAME": "  "}, {}, "observability.E013", "TRACING_SERVICE_NAME", "'  '"),
    ({"TRACING_SAMPLE_RATE": "1.5"}, {}, "observability.E014", "TRACING_SAMPLE_RATE", "'1.5'"),
    ({"TRACING_SAMPLE_RATE": "half"}, {}, "observability.E014", "TRACING_SAMPLE_RATE", "'half'"),
    ({"TRACING_SAMPLE_RATE": "nan"}, {}, "observability.E014", "TRACING_SAMPLE_RATE", "'nan'"),
    ({}, {"OTEL_TRACES_SAMPLER_ARG": "-1"}, "observability.E014", "OTEL_TRACES_SAMPLER_ARG", "'-1'"),
    ({"TRACING_EXCLUDED_URLS": "health"}, {}, "observability.E016", "TRACING_EXCLUDED_URLS", "'health'"),
    ({"TRACING_EXCLUDED_URLS": "/a(b"}, {}, "observability.E016", "TRACING_EXCLUDED_URLS", "'/a(b'"),
    ({"TRACING_EXPORT_TIMEOUT_SECONDS": "0"}, {}, "observability.E017", "TRACING_EXPORT_TIMEOUT_SECONDS", "'0'"),
    ({"TRACING_EXPORT_TIMEOUT_SECONDS": "10000"}, {}, "observability.E017", "TRACING_EXPORT_TIMEOUT_SECONDS",
     "'10000'"),
    ({}, {"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "observability.E017", "OTEL_EXPORTER_OTLP_TIMEOUT", "'soon'"),
    ({"TRACING_SHUTDOWN_TIMEOUT_SECONDS": "-1"}, {}, "observability.E018", "TRACING_SHUTDOWN_TIMEOUT_SECONDS", "'-1'"),
    ({"TRACING_SERVICE_VERSION": "\n"}, {}, "observability.E019", "TRACING_SERVICE_VERSION", "'\\n'"),
    ({"TRACING_DEPLOYMENT_ENVIRONMENT": "a\x00b"}, {}, "observability.E020", "TRACING_DEPLOYMENT_ENVIRONMENT",
     "'a\\x00b'"),
    ({}, {"OTEL_RESOURCE_ATTRIBUTES": "team"}, "observability.E021", "OTEL_RESOURCE_ATTRIBUTES", "'team'"),
    ({}, {"OTEL_BSP_SCHEDULE_DELAY": "0"}, "observability.E022", "OTEL_BSP_SCHEDULE_DELAY", "'0'"),
    ({}, {"OTEL_BSP_MAX_QUEUE_SIZE": "10", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "20"}, "observability.E024",
     "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "(20)"),
])
def test_each_problem_names_variable_and_value(raw, environ, problem_id, variable, shown):
    _, problems = parse(raw, **environ)
    assert [(p.id, p.variable) for p in problems] == [(problem_id, variable)]
    assert problems[0].message.startswith(variable)
    assert shown in problems[0].message
    assert problems[0].hint or problem_id in ("observability.E013", "observability.E019", "observability.E020")


@pytest.mark.parametrize("headers", [
    SECRET, f"authorization {SECRET}", f"=Bearer {SECRET}", f"authorization=Bearer\n{SECRET}", f"x=1,{SECRET}",
])
def test_malformed_headers_are_reported_without_any_part_of_the_value(headers):
    _, problems = parse({"TRACING_HEADERS": headers})
    assert [p.id for p in problems] == ["observability.E015"]
    assert problems[0].message.startswith("TRACING_HEADERS entry ")
    assert "'***'" in problems[0].message
    assert SECRET not in problems[0].message + problems[0].hint


def test_endpoint_credentials_are_masked_in_messages():
    _, problems = parse({"TRACING_EXPORTER": "otlp", "TRACING_ENDPOINT": f"http://user:{SECRET}@collector:4317"})
    assert [p.id for p in problems] == ["observability.E023"]  # gRPC never sends URL credentials
    assert SECRET not in problems[0].message
    _, problems = parse({"TRACING_ENDPOINT": f"ftp://user:{SECRET}@collector/?key={SECRET}"})
    assert SECRET not in problems[0].message


def test_all_problems_are_reported_at_once():
    _, problems = parse({"TRACING_ENABLED": "true", "TRACING_EXPORTER": "kafka", "TRACING_SAMPLE_RATE": "2",
                         "TRACING_HEADERS": "broken", "TRACING_EXCLUDED_URLS": "nope"})
    assert [p.id.removeprefix("observability.") for p in problems] == ["E011", "E014", "E015", "E016"]


def test_invalid_values_keep_their_defaults():
    config, _ = parse({"TRACING_SAMPLE_RATE": "2", "TRACING_EXPORTER": "kafka"})
    assert (config.sample_rate, config.exporter_type) == (1.0, "console")


def test_problems_are_errors_when_enabled_or_when_enabled_is_unreadable():
    config, problems = parse({"TRACING_SAMPLE_RATE": "2"})
    assert not problems_are_errors(config, problems)
    config, problems = parse({"TRACING_ENABLED": "true", "TRACING_SAMPLE_RATE": "2"})
    assert problems_are_errors(config, problems)
    config, problems = parse({"TRACING_ENABLED": "perhaps"})
    assert problems_are_errors(config, problems)


# --- OTEL_* variables apply where no TRACING_* variable is set --------------------------------


def test_otel_service_name_and_resource_attributes_apply_when_tracing_ones_are_unset():
    environ = {"OTEL_SERVICE_NAME": "from-otel",
               "OTEL_RESOURCE_ATTRIBUTES": "service.version=1.2.3,deployment.environment=staging,team=x"}
    config, problems = parse(**environ)
    assert problems == []
    assert (config.service_name, config.service_version, config.deployment_environment) == (
        "from-otel", "1.2.3", "staging")
    assert config.sources["service_name"] == "OTEL_SERVICE_NAME"
    assert config.sources["service_version"] == "OTEL_RESOURCE_ATTRIBUTES"
    config, _ = parse({"TRACING_SERVICE_NAME": "from-tracing", "TRACING_SERVICE_VERSION": "2"}, **environ)
    assert (config.service_name, config.service_version) == ("from-tracing", "2")


def test_service_version_falls_back_to_the_deployments_version():
    config, problems = parse(SERVICE_VERSION="4.5.6")
    assert (problems, config.service_version, config.sources["service_version"]) == ([], "4.5.6", "SERVICE_VERSION")
    assert parse(SERVICE_VERSION="4.5.6", OTEL_RESOURCE_ATTRIBUTES="service.version=1.0")[0].service_version == "1.0"
    assert parse({"TRACING_SERVICE_VERSION": "2"}, SERVICE_VERSION="4.5.6")[0].service_version == "2"
    # A bad SERVICE_VERSION is healthdash.E031 (its variable), not a second problem here: the default stays.
    config, problems = parse({"TRACING_ENABLED": "true"}, SERVICE_VERSION="\n")
    assert (problems, config.service_version) == ([], "unknown")


def test_service_name_from_resource_attributes_comes_after_otel_service_name():
    config, _ = parse(OTEL_RESOURCE_ATTRIBUTES="service.name=from-attributes")
    assert config.service_name == "from-attributes"
    config, _ = parse(OTEL_RESOURCE_ATTRIBUTES="service.name=from-attributes", OTEL_SERVICE_NAME="from-otel")
    assert config.service_name == "from-otel"


@pytest.mark.parametrize(("exporter", "environ", "endpoint", "source"), [
    ("otlp", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, "http://collector:4317",
     "OTEL_EXPORTER_OTLP_ENDPOINT"),
    ("otlp_http", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, "http://collector:4318/v1/traces",
     "OTEL_EXPORTER_OTLP_ENDPOINT"),
    ("otlp_http", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b/t"},
     "http://b/t", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
    ("zipkin", {"OTEL_EXPORTER_ZIPKIN_ENDPOINT": "http://z:9411/api/v2/spans"}, "http://z:9411/api/v2/spans",
     "OTEL_EXPORTER_ZIPKIN_ENDPOINT"),
    ("console", {"OTEL_EXPORTER_OTLP_ENDPOINT": "not even a url"}, None, "default"),
])
def test_otel_endpoints(exporter, environ, endpoint, source):
    config, problems = parse({"TRACING_EXPORTER": exporter}, **environ)
    assert problems == []
    assert (config.endpoint, config.source("endpoint")) == (endpoint, source)


def test_tracing_endpoint_wins_over_otel():
    config, _ = parse({"TRACING_ENDPOINT": "http://mine:4317"}, OTEL_EXPORTER_OTLP_ENDPOINT="http://theirs:4317")
    assert config.endpoint is None  # the console exporter: checked, not used
    config, _ = parse({"TRACING_EXPORTER": "otlp", "TRACING_ENDPOINT": "http://mine:4317"},
                      OTEL_EXPORTER_OTLP_ENDPOINT="http://theirs:4317")
    assert config.endpoint == "http://mine:4317"


def test_otel_headers_sampler_argument_and_timeouts():
    config, problems = parse({"TRACING_EXPORTER": "otlp"}, OTEL_EXPORTER_OTLP_HEADERS="api-key=abc%3D",
                             OTEL_TRACES_SAMPLER_ARG="0.1", OTEL_EXPORTER_OTLP_TIMEOUT="2500")
    assert problems == []
    assert dict(config.headers) == {"api-key": "abc="}
    assert config.sample_rate == 0.1
    # The specification's unit is milliseconds (OpenTelemetry Python reads this one as seconds).
    assert config.export_timeout == 2.5
    config, _ = parse({"TRACING_SAMPLE_RATE": "1", "TRACING_EXPORT_TIMEOUT_SECONDS": "4"},
                      OTEL_TRACES_SAMPLER_ARG="0.1", OTEL_EXPORTER_OTLP_TIMEOUT="2500")
    assert (config.sample_rate, config.export_timeout) == (1.0, 4.0)


def test_otel_sdk_disabled_applies_only_without_tracing_enabled():
    config, _ = parse(OTEL_SDK_DISABLED="true")
    assert (config.enabled, config.sources["enabled"]) == (False, "OTEL_SDK_DISABLED")
    config, _ = parse({"TRACING_ENABLED": "true"}, OTEL_SDK_DISABLED="true")
    assert config.enabled is True


def test_batch_processor_variables():
    config, problems = parse(OTEL_BSP_MAX_QUEUE_SIZE="100", OTEL_BSP_SCHEDULE_DELAY="50",
                             OTEL_BSP_MAX_EXPORT_BATCH_SIZE="10")
    assert problems == []
    assert (config.max_queue_size, config.schedule_delay_millis, config.max_export_batch_size) == (100, 50, 10)


# --- The running configuration ----------------------------------------------------------------


def test_the_running_configuration_reflects_settings(settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "zipkin", "TRACING_SAMPLE_RATE": "0.5"}
    config = get_tracing_config()
    assert (config.enabled, config.exporter_type, config.sample_rate) == (True, "zipkin", 0.5)
    assert config.endpoint == DEFAULT_ENDPOINTS["zipkin"]


def test_changing_settings_drops_the_cached_configuration(settings):
    settings.OBSERVABILITY = {"TRACING_SERVICE_NAME": "first"}
    assert get_tracing_config().service_name == "first"
    settings.OBSERVABILITY = {"TRACING_SERVICE_NAME": "second"}
    assert get_tracing_config().service_name == "second"


def test_tracing_config_holds_defaults_only_and_never_reads_settings(settings):
    # Defaults flow one way, from the dataclass into the parsed configuration: a new field needs
    # no entry anywhere else, and building a TracingConfig never reads (or recurses into) settings.
    settings.OBSERVABILITY = {"TRACING_SERVICE_NAME": "running"}
    config = TracingConfig(enabled=True, exporter_type="otlp_http")
    assert config.service_name == "unknown_service"
    assert config.endpoint == DEFAULT_ENDPOINTS["otlp_http"]


def test_export_batches_default_to_64_spans():
    # Smaller than the SDK's 512: a batch is encoded while holding the GIL (see
    # docs/performance.md for the p99 measurements behind this).
    config, problems = parse_tracing({}, environ={})
    assert problems == []
    assert (config.max_queue_size, config.schedule_delay_millis, config.max_export_batch_size) == (512, 5000, 64)


# --- TracingConfig() is the configuration the environment gives, as the seed's API was -----------



@pytest.fixture
def bare_environment(monkeypatch, settings):
    """No TRACING_* or OTEL_* variable, and an OBSERVABILITY dict that sets none of them."""
    for name in list(os.environ):
        if name.startswith(("TRACING_", "OTEL_")):
            monkeypatch.delenv(name)
    settings.OBSERVABILITY = {key: value for key, value in getattr(settings, "OBSERVABILITY", {}).items()
                              if not key.startswith("TRACING_")}
    return monkeypatch


def test_seed_defaults_with_nothing_set(bare_environment):
    config = TracingConfig()
    assert config.enabled is False
    assert config.exporter_type == "console"
    assert config.service_name == "chimera-backend"
    assert config.sample_rate == 1.0


@pytest.mark.parametrize("exporter", ["otlp", "otlp_http", "jaeger", "zipkin"])
def test_seed_enabled_network_exporter_from_the_environment(bare_environment, exporter):
    bare_environment.setenv("TRACING_ENABLED", "true")
    bare_environment.setenv("TRACING_EXPORTER", exporter)
    config = TracingConfig()
    assert config.enabled is True
    assert config.exporter_type == exporter
    assert config.endpoint == DEFAULT_ENDPOINTS[exporter]
    assert config.endpoint.startswith(("http://", "https://"))
    assert config.origin("enabled") == "environment TRACING_ENABLED"


def test_seed_explicit_endpoint_service_name_and_rate(bare_environment):
    for name, value in {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "zipkin",
                        "TRACING_ENDPOINT": "http://zipkin.internal:9411/api/v2/spans",
                        "TRACING_SERVICE_NAME": "billing", "TRACING_SAMPLE_RATE": "0.25"}.items():
        bare_environment.setenv(name, value)
    config = TracingConfig()
    assert (config.endpoint, config.service_name, config.sample_rate) == (
        "http://zipkin.internal:9411/api/v2/spans", "billing", 0.25)


def test_the_settings_dict_wins_over_the_environment(bare_environment, settings):
    bare_environment.setenv("TRACING_SERVICE_NAME", "from-environment")
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACING_SERVICE_NAME": "from-settings"}
    config = TracingConfig()
    assert config.service_name == "from-settings"
    assert config.origin("service_name") == "settings OBSERVABILITY['TRACING_SERVICE_NAME']"
    assert config.origin("sample_rate") == "default"


def test_explicit_construction_builds_what_it_is_given(bare_environment):
    bare_environment.setenv("TRACING_ENABLED", "true")
    assert TracingConfig(exporter_type="zipkin").enabled is False
    assert TracingConfig(enabled=True).exporter_type == "console"


# --- The project's defaults: after the environment, else derived from the project ---------------


def test_another_project_gets_its_settings_package_and_an_environment_from_debug(settings):
    settings.OBSERVABILITY_DEFAULTS = {}
    settings.DEBUG = True
    settings.SETTINGS_MODULE = "mysite.settings"  # last: each override's holder has its own, None
    config = get_tracing_config()
    assert (config.service_name, config.deployment_environment) == ("mysite", "development")
    assert (config.source("service_name"), config.source("deployment_environment")) == ("default", "default")
    settings.DEBUG = False  # the running configuration is derived again
    assert get_tracing_config().deployment_environment == "production"
    settings.SETTINGS_MODULE = None  # settings.configure(): no module to name the service after
    assert get_tracing_config().service_name == "unknown_service"


@pytest.mark.parametrize("environ, expected", [
    ({}, "chimera-backend"),
    ({"TRACING_SERVICE_NAME": "from-tracing"}, "from-tracing"),
    ({"OTEL_SERVICE_NAME": "from-otel"}, "from-otel"),
    ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes"}, "from-attributes"),
])
def test_the_environment_wins_over_the_projects_defaults(settings, environ, expected):
    settings.OBSERVABILITY_DEFAULTS = {"TRACING_SERVICE_NAME": "chimera-backend",
                                       "TRACING_DEPLOYMENT_ENVIRONMENT": "staging"}
    config, problems = parse(**environ)
    assert problems == []
    assert (config.service_name, config.deployment_environment) == (expected, "staging")
    config, _ = parse({"TRACING_SERVICE_NAME": "from-settings"}, **environ)
    assert config.service_name == "from-settings"


def test_a_projects_default_is_checked_like_any_value(settings):
    settings.OBSERVABILITY_DEFAULTS = {"TRACING_SAMPLE_RATE": "2"}
    config, problems = parse()
    assert config.sample_rate == 1.0
    assert [(p.id, p.variable) for p in problems] == [("observability.E014", "TRACING_SAMPLE_RATE")]
