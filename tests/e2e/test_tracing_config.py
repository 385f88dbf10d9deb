"""Tracing configuration as an operator meets it: refused start-up, ``check``, ``check_tracing``."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.processes import Gunicorn, free_port, project_env, run_manage, side_by_side
from tests.support.receivers import OTLPGrpcReceiver, OTLPHttpReceiver, SilentListener, ZipkinReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "e2e-hidden-token-8086"

# (variable, invalid value, problem number); tracing is on and the exporter is otlp unless the
# case sets them. Every value here, secret or not, must never come back in full where masked.
INVALID = [
    ("TRACING_ENABLED", "maybe", "010"),
    ("TRACING_EXPORTER", "kafka", "011"),
    ("TRACING_ENDPOINT", "collector:4317", "012"),
    ("TRACING_ENDPOINT", "ftp://collector:4317", "012"),
    ("TRACING_ENDPOINT", f"http://user:{SECRET}@collector:4317", "023"),
    ("TRACING_SERVICE_NAME", " ", "013"),
    ("TRACING_SAMPLE_RATE", "1.5", "014"),
    ("TRACING_SAMPLE_RATE", "lots", "014"),
    ("TRACING_HEADERS", f"authorization Bearer {SECRET}", "015"),
    ("TRACING_EXCLUDED_URLS", "health", "016"),
    ("TRACING_EXPORT_TIMEOUT_SECONDS", "10000", "017"),
    ("TRACING_SHUTDOWN_TIMEOUT_SECONDS", "0", "018"),
    ("OTEL_TRACES_SAMPLER_ARG", "2", "014"),
]
CASE_IDS = [f"{variable}={value.replace(SECRET, 'secret')}" for variable, value, _ in INVALID]


def invalid_env(variable: str, value: str, **extra: str) -> dict[str, str]:
    values = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp", **extra}
    values[variable] = value
    return project_env(**values)


@pytest.mark.parametrize(("variable", "value", "number"), INVALID, ids=CASE_IDS)
def test_invalid_variable_refuses_start_up_and_is_reported_by_both_commands(tmp_path, variable, value, number):
    environment = invalid_env(variable, value)
    refused, check, report = side_by_side(Gunicorn(env=environment, log_dir=tmp_path).refused,
                                          lambda: run_manage("check", env=environment),
                                          lambda: run_manage("check_tracing", env=environment))
    assert f"observability.E{number} {variable}" in refused
    assert "Traceback" not in refused and "Booting worker" not in refused

    assert check.returncode == 1
    assert f"observability.E{number}" in check.stderr

    assert report.returncode == 1, report.stdout + report.stderr
    assert f"observability.E{number} {variable}" in report.stdout
    assert "Traceback" not in report.stderr
    for output in (refused, check.stdout + check.stderr, report.stdout + report.stderr):
        assert SECRET not in output


@pytest.mark.parametrize(("variable", "value", "number"), [INVALID[6], INVALID[8]], ids=["rate", "headers"])
def test_preloading_gunicorn_refuses_before_loading_the_app(tmp_path, variable, value, number):
    refused = Gunicorn(env=invalid_env(variable, value), log_dir=tmp_path, args=["--preload"]).refused()
    assert f"Configuration error: Invalid configuration:\n  observability.E{number} {variable}" in refused
    assert "Traceback" not in refused and SECRET not in refused


def test_with_tracing_disabled_problems_are_warnings_and_start_up_goes_on(tmp_path):
    environment = project_env(TRACING_SAMPLE_RATE="1.5", TRACING_HEADERS=SECRET)
    check = run_manage("check", env=environment)
    assert check.returncode == 0, check.stderr
    assert "observability.W014" in check.stderr and "observability.W015" in check.stderr
    with Gunicorn(env=environment, log_dir=tmp_path):
        pass
    report = run_manage("check_tracing", env=environment)
    assert report.returncode == 1
    assert "observability.W014" in report.stdout
    assert SECRET not in check.stdout + check.stderr + report.stdout + report.stderr


# --- check_tracing: the effective configuration, and the probe --------------------------------


@pytest.fixture(scope="module")
def receivers():
    started = {"otlp": OTLPGrpcReceiver(), "otlp_http": OTLPHttpReceiver(), "zipkin": ZipkinReceiver()}
    started["jaeger"] = started["otlp"]
    yield started
    for name in ("otlp", "otlp_http", "zipkin"):
        started[name].stop()


@pytest.mark.parametrize("exporter", ["otlp", "otlp_http", "jaeger", "zipkin"])
def test_probe_is_accepted_by_a_receiver(receivers, exporter):
    receiver = receivers[exporter]
    environment = project_env(TRACING_EXPORTER=exporter, TRACING_ENDPOINT=receiver.endpoint,
                              TRACING_SERVICE_NAME=f"probe-{exporter}", TRACING_HEADERS=f"authorization={SECRET}")
    result = run_manage("check_tracing", "--probe", "--timeout", "5", env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Probe: accepted" in result.stdout
    spans = receiver.wait_for(1, predicate=lambda s: s.service_name == f"probe-{exporter}")
    assert [span.name for span in spans] == ["check_tracing"]
    assert any(h.get("authorization") == SECRET for h in receiver.requests)
    assert SECRET not in result.stdout + result.stderr


def test_probe_through_the_console_is_accepted():
    result = run_manage("check_tracing", "--probe", env=project_env(TRACING_EXPORTER="console"))
    assert result.returncode == 0
    assert '"name": "check_tracing"' in result.stdout


@pytest.mark.parametrize("exporter", ["otlp", "otlp_http", "zipkin"])
def test_probe_without_a_receiver_exits_2_saying_why(exporter):
    environment = project_env(TRACING_ENABLED="true", TRACING_EXPORTER=exporter,
                              TRACING_ENDPOINT=f"http://127.0.0.1:{free_port()}/", TRACING_HEADERS=f"k={SECRET}")
    result = run_manage("check_tracing", "--probe", "--timeout", "1", env=environment, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Probe: NOT accepted" in result.stdout
    assert "refused: nothing listens there" in result.stdout
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("exporter", ["otlp", "otlp_http"])
def test_probe_to_a_collector_that_never_answers_exits_2_within_its_timeout(exporter):
    listener = SilentListener()
    try:
        environment = project_env(TRACING_EXPORTER=exporter, TRACING_ENDPOINT=f"http://127.0.0.1:{listener.port}/v1/traces")
        started = time.monotonic()
        result = run_manage("check_tracing", "--probe", "--timeout", "1", env=environment, timeout=60)
        took = time.monotonic() - started
    finally:
        listener.stop()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "something listens there but did not accept the span" in result.stdout
    assert took < 20


def test_json_report_for_scripts(receivers):
    environment = project_env(
        TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=f"http://u:{SECRET}@127.0.0.1:4317/x",
        TRACING_HEADERS=f"authorization={SECRET}", OTEL_SERVICE_NAME="from-otel", OTEL_EXPORTER_OTLP_TIMEOUT="5",
    )
    result = run_manage("check_tracing", "--json", env=environment)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    configuration = report["configuration"]
    assert report["status"] == "ok" and report["probe"] is None
    assert configuration["enabled"] == {"value": True, "source": "environment TRACING_ENABLED"}
    assert configuration["service_name"] == {"value": "from-otel", "source": "environment OTEL_SERVICE_NAME"}
    assert configuration["sample_rate"] == {"value": 1.0, "source": "default"}
    assert configuration["headers"]["value"] == {"authorization": "***"}
    assert configuration["endpoint"]["value"] == "http://u:***@127.0.0.1:4317/x"
    assert configuration["export_timeout_seconds"] == {
        "value": 0.005, "source": "environment OTEL_EXPORTER_OTLP_TIMEOUT"}
    warnings = " ".join(report["warnings"])
    assert "port 4317" in warnings and "/v1/traces" in warnings and "milliseconds" in warnings
    assert report["sampler"].startswith("Parent-based ratio sampling")
    assert SECRET not in result.stdout + result.stderr


def test_sources_are_where_an_operator_finds_them_and_a_rejected_value_is_said_rejected():
    environment = project_env(TRACING_ENABLED="true", TRACING_SAMPLE_RATE="2", OTEL_SERVICE_NAME="svc")
    result = run_manage("check_tracing", env=environment)
    assert "sample rate      1.0  [default: environment TRACING_SAMPLE_RATE rejected]" in result.stdout
    assert "[environment OTEL_SERVICE_NAME]" in result.stdout and "observability.E014" in result.stdout


def test_text_report_names_each_source_and_explains_the_sampler():
    environment = project_env(TRACING_EXPORTER="otlp", TRACING_ENDPOINT="http://collector:4318",
                              TRACING_SAMPLE_RATE="0.25")
    result = run_manage("check_tracing", env=environment)
    assert result.returncode == 0, result.stderr
    assert "[environment TRACING_SAMPLE_RATE]" in result.stdout and "[default]" in result.stdout
    assert "About 0.25 of the traces this service starts (25 %) are recorded" in result.stdout
    assert "port 4318, OTLP/HTTP's" in result.stdout


# --- The running configuration loads from the environment -------------------------------------

# The running configuration, then TracingConfig() as the seed's code builds it (the repro).
PRINT_CONFIG = (
    "shell", "--no-imports", "-c",
    "import json; from observability.tracing.configuration import get_tracing_config; "
    "from observability.conf import TracingConfig; "
    "fields = lambda c: [c.enabled, c.exporter_type, c.endpoint, c.service_name, c.sample_rate]; "
    "print(json.dumps([fields(get_tracing_config()), fields(TracingConfig())]))",
)


@pytest.mark.parametrize("variables", [
    {},
    {"TRACING_ENABLED": "true"},
    {"TRACING_ENABLED": "1", "TRACING_EXPORTER": "otlp"},
    {"TRACING_ENABLED": "yes", "TRACING_EXPORTER": "otlp_http", "TRACING_SAMPLE_RATE": "0.5"},
    {"TRACING_ENABLED": "on", "TRACING_EXPORTER": "jaeger", "TRACING_SERVICE_NAME": "svc"},
    {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "zipkin", "TRACING_ENDPOINT": "https://zipkin.example/api/v2/spans"},
    {"TRACING_ENABLED": "true", "OTEL_SDK_DISABLED": "true", "TRACING_EXPORTER": "otlp"},
])
def test_tracing_config_loads_from_the_environment(variables):
    result = run_manage(*PRINT_CONFIG, env=project_env(**variables))
    assert result.returncode == 0, result.stderr
    running, bare = json.loads(result.stdout.splitlines()[-1])
    assert bare == running  # TracingConfig() with no arguments is the running configuration
    enabled, exporter, endpoint, service_name, sample_rate = running
    assert isinstance(enabled, bool) and enabled == ("TRACING_ENABLED" in variables)
    assert exporter in ("otlp", "otlp_http", "jaeger", "zipkin", "console")
    assert exporter == variables.get("TRACING_EXPORTER", "console")
    if enabled and exporter != "console":
        assert endpoint.startswith("http")
    assert service_name == variables.get("TRACING_SERVICE_NAME", "chimera-backend")
    assert sample_rate == float(variables.get("TRACING_SAMPLE_RATE", 1.0))
