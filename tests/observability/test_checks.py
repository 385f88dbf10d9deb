"""System checks of observability: IDs, hints, registration, start-up refusal."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from observability import checks, pipeline
from tests.support.processes import ROOT, project_env

MIDDLEWARE = "observability.middleware.RequestIDMiddleware"
OTEL_MIDDLEWARE = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
# What every middleware hint shows: the five lines, in order, as a project pastes them.
PIPELINE_LINES = """
    "observability.proxies.ClientAddressMiddleware",
    "observability.tracing.middleware.TracingMiddleware",
    "observability.middleware.RequestIDMiddleware",
    "observability.metrics.middleware.MetricsMiddleware",
    "observability.journal.recording.JournalMiddleware","""


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_project_configuration_is_clean():
    assert checks.check_request_id_settings() == []
    assert checks.check_middleware() == []
    assert checks.check_middleware_order() == []
    assert checks.check_middleware_listed() == []


def test_the_project_lists_the_pipeline_first_in_its_order(settings):
    assert settings.MIDDLEWARE[:len(pipeline.ORDER)] == list(pipeline.ORDER)


def middleware_messages() -> list:
    return checks.check_middleware() + checks.check_middleware_order() + checks.check_middleware_listed()


def test_settings_problems_are_errors_with_hints(settings):
    settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "bad header", "REQUEST_ID_GENERATOR": "no.such.thing"}
    messages = checks.check_request_id_settings()
    assert ids(messages) == ["observability.E001", "observability.E003"]
    assert all(message.is_serious() and message.hint for message in messages)


def test_w040_middleware_missing_gives_every_line(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    messages = middleware_messages()
    assert ids(messages) == ["observability.W040"]
    assert PIPELINE_LINES in messages[0].hint


def test_w041_middleware_not_first(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE] + [MIDDLEWARE]
    messages = checks.check_middleware()
    assert ids(messages) == ["observability.W041"]
    assert "django.middleware.security.SecurityMiddleware" in messages[0].msg
    assert PIPELINE_LINES in messages[0].hint


def test_opentelemetry_middleware_may_come_first(settings):
    settings.MIDDLEWARE = [OTEL_MIDDLEWARE, *settings.MIDDLEWARE]
    assert middleware_messages() == []


@pytest.mark.parametrize(("middleware", "misplaced", "after"), [
    # The order the project had: the client's address resolved after the request ID.
    ([MIDDLEWARE, pipeline.CLIENT_ADDRESS, pipeline.TRACING, pipeline.METRICS, SECURITY],
     [pipeline.CLIENT_ADDRESS, pipeline.TRACING], MIDDLEWARE),
    ([pipeline.TRACING, pipeline.CLIENT_ADDRESS, MIDDLEWARE, pipeline.METRICS], [pipeline.CLIENT_ADDRESS],
     pipeline.TRACING),
    ([pipeline.CLIENT_ADDRESS, pipeline.TRACING, MIDDLEWARE, SECURITY, pipeline.METRICS], [pipeline.METRICS],
     SECURITY),
])
def test_w042_names_each_misplaced_middleware_and_what_precedes_it(settings, middleware, misplaced, after):
    settings.MIDDLEWARE = middleware
    messages = checks.check_middleware_order()
    assert ids(messages) == ["observability.W042"] * len(misplaced)
    assert [message.msg.split(" comes after ")[0] for message in messages] == misplaced
    assert all(after in message.msg and PIPELINE_LINES in message.hint for message in messages)


def test_w043_names_the_lines_a_project_of_the_published_lines_adds(settings):
    settings.MIDDLEWARE = [MIDDLEWARE, SECURITY]
    messages = middleware_messages()
    assert ids(messages) == ["observability.W043"]
    assert "TRUSTED_PROXIES" in messages[0].msg
    for path in (pipeline.CLIENT_ADDRESS, pipeline.TRACING, pipeline.METRICS):
        assert path in messages[0].msg and repr(path) in messages[0].hint
    assert PIPELINE_LINES in messages[0].hint


def test_checks_judge_middleware_as_written_not_as_spliced(settings):
    settings.MIDDLEWARE = [MIDDLEWARE, SECURITY]
    pipeline.splice(pipeline.TRACING)
    pipeline.splice(pipeline.METRICS)
    assert settings.MIDDLEWARE == [pipeline.TRACING, MIDDLEWARE, pipeline.METRICS, SECURITY]
    assert ids(middleware_messages()) == ["observability.W043"]


def test_checks_are_registered_under_the_observability_tag(settings):
    settings.OBSERVABILITY = {"REQUEST_ID_TRUST_INCOMING": "sometimes"}
    with pytest.raises(SystemCheckError, match="observability.E002"):
        call_command("check", tags=["observability"])


def test_w069_when_metrics_are_served_but_observability_urls_are_not_routed(settings):
    from observability.checks import check_metrics_routed

    settings.ROOT_URLCONF = "tests.healthdash.urls_without_healthdash"
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_EXPORTER": "prometheus"}
    [warning] = check_metrics_routed()
    assert warning.id == "observability.W069"
    assert 'include("observability.urls")' in warning.hint
    assert "tests.healthdash.urls_without_healthdash" in warning.hint
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_EXPORTER": "otlp_http"}
    assert check_metrics_routed() == []


def test_metrics_are_routed_by_observability_urls(settings):
    from django.urls import resolve, reverse

    from observability.metrics.view import metrics_view

    assert reverse("observability:metrics") == "/metrics"
    assert resolve("/metrics").func is metrics_view
    from observability.checks import check_metrics_routed

    assert check_metrics_routed() == []


# One worker of a server: the one given "0" idles, the other runs the system checks and prints their IDs.
WORKER = """
import sys, time
if sys.argv[1] == "0":
    time.sleep(60)
    sys.exit()
import django
django.setup()
from django.core import checks
print(sorted({message.id for message in checks.run_checks(tags=["observability"])}))
"""
# A server named uvicorn starting two workers alike, as its --workers does.
SERVER = f"""
import subprocess, sys
idle = subprocess.Popen([sys.executable, "-c", {WORKER!r}, "0"])
try:
    subprocess.run([sys.executable, "-c", {WORKER!r}, "1"], check=True, timeout=60)
finally:
    idle.kill()
"""


@pytest.mark.parametrize(("server", "environ", "expected"), [
    (True, {}, ["observability.W060"]),
    (True, {"METRICS_MULTIPROC_DIR": "shared"}, []),  # the operator's folder, shared by the workers
    (True, {"METRICS_EXPORTER": "otlp"}, []),  # each process pushes; a collector sums them
    (False, {}, []),  # a process of its own
], ids=["several-workers", "shared-folder", "pushed", "one-process"])
def test_w060_several_workers_of_a_server_that_share_no_folder(tmp_path, server, environ, expected):
    if "METRICS_MULTIPROC_DIR" in environ:
        environ = {"METRICS_MULTIPROC_DIR": str(tmp_path / "shared")}
    script = tmp_path / "uvicorn"
    script.write_text(SERVER)
    command = [sys.executable, str(script)] if server else [sys.executable, "-c", WORKER, "1"]
    done = subprocess.run(command, cwd=ROOT, env=project_env(DJANGO_SETTINGS_MODULE="tests.settings", **environ),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = [check_id for check_id in ast.literal_eval(done.stdout.strip().splitlines()[-1])
             if check_id.startswith("observability.W06")]
    assert found == expected, done.stderr
