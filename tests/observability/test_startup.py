"""Start-up refusal: every app's configuration errors at once; the reporting commands still run."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from observability import startup
from tests.support.processes import project_env, run_manage

# One invalid value in each app: observability (request IDs, tracing), healthdash, chimera.
BROKEN = {
    "observability": {"TRACING_ENABLED": "true", "TRACING_SAMPLE_RATE": "2"},
    "healthdash": {"HEALTH_CACHE_SECONDS": "abc"},
    "chimera": {"CHIMERA_THROTTLE_RATE": "lots"},
}
LINES = {
    "observability": "observability.E014 TRACING_SAMPLE_RATE must be a number from 0.0 to 1.0, got '2'.",
    "healthdash": "healthdash.E001 HEALTH_CACHE_SECONDS must be a number of seconds of at least 0, got 'abc'.",
    "chimera": "chimera.E002 CHIMERA_THROTTLE_RATE must be a rate such as 60/min, got 'lots'.",
}


def broken_except(app: str | None = None, **extra: str) -> dict[str, str]:
    """The environment with every app but `app` misconfigured."""
    values = {name: value for other, variables in BROKEN.items() if other != app for name, value in variables.items()}
    return project_env(**values, **extra)


@pytest.fixture
def every_app_broken(settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACING_ENABLED": True, "TRACING_SAMPLE_RATE": "2"}
    settings.HEALTHDASH = {**settings.HEALTHDASH, "HEALTH_CACHE_SECONDS": "abc"}
    settings.CHIMERA_SERVICE = {"CHIMERA_THROTTLE_RATE": "lots"}


def test_every_apps_problems_are_collected_in_installed_apps_order(every_app_broken):
    assert [p.id for p in startup.configuration_errors()] == ["observability.E014", "healthdash.E001", "chimera.E002"]


def test_refusal_lists_every_error_one_line_each(every_app_broken):
    with pytest.raises(ImproperlyConfigured) as refused:
        startup.refuse_invalid_configuration()
    assert str(refused.value) == "Invalid configuration:\n" + "\n".join(f"  {line}" for line in LINES.values())


def test_warnings_do_not_refuse(settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACING_SAMPLE_RATE": "2"}  # tracing is off
    assert [p.id for p in startup.configuration_problems()] == ["observability.W014"]
    startup.refuse_invalid_configuration()


def test_a_reporting_process_is_not_refused(every_app_broken):
    with startup.reporting():
        startup.refuse_invalid_configuration()


@pytest.mark.parametrize(("argv", "reports"), [
    (["manage.py", "check"], True),
    (["./manage.py", "check_tracing", "--probe"], True),
    (["/srv/app/manage.py", "health", "--json"], True),
    (["/venv/bin/django-admin", "health"], True),
    (["/venv/lib/python3.11/site-packages/django/__main__.py", "check"], True),
    (["manage.py", "migrate"], False),
    (["manage.py", "shell"], False),
    (["manage.py", "no_such_command"], False),
    (["manage.py"], False),
    (["/venv/bin/pytest", "check"], False),
    (["/venv/lib/python3.11/site-packages/pytest/__main__.py", "check"], False),
    (["gunicorn", "chimera.wsgi"], False),
])
def test_which_processes_report_configuration(argv, reports):
    assert startup.reports_configuration(argv) is reports


def test_a_command_declares_that_it_reports(monkeypatch):
    from django.core.management import BaseCommand

    class Report(BaseCommand):
        reports_configuration = True

    monkeypatch.setattr("django.core.management.get_commands", lambda: {"report_things": Report()})
    assert startup.reports_configuration(["manage.py", "report_things"]) is True


@pytest.mark.slow
class TestCommands:
    """Real ``manage.py`` processes: the repros of a misconfigured deployment."""

    def test_check_tracing_reports_tracing_when_every_other_app_is_misconfigured(self):
        result = run_manage("check_tracing", env=broken_except("observability"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Tracing configuration" in result.stdout and "sample rate" in result.stdout
        assert LINES["healthdash"] in result.stdout and LINES["chimera"] in result.stdout
        assert "Traceback" not in result.stderr

    def test_health_runs_and_exits_2_when_every_other_app_is_misconfigured(self, migrated_db_url):
        result = run_manage("health", env=broken_except("healthdash", DATABASE_URL=migrated_db_url))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "SERVICE" in result.stdout and "overall:" in result.stdout  # the checks ran
        assert LINES["observability"] in result.stderr and LINES["chimera"] in result.stderr
        assert "Traceback" not in result.stderr

    def test_health_repro_a_tracing_error_is_a_configuration_error(self, migrated_db_url):
        result = run_manage("health", env=project_env(DATABASE_URL=migrated_db_url, **BROKEN["observability"]))
        assert result.returncode == 2, result.stdout + result.stderr
        assert LINES["observability"] in result.stderr

    def test_check_reports_every_app(self):
        result = run_manage("check", env=broken_except())
        assert result.returncode == 1
        for problem_id in ("observability.E014", "healthdash.E001", "chimera.E002"):
            assert f"({problem_id})" in result.stderr

    def test_other_commands_are_refused_with_every_error_and_no_traceback(self):
        result = run_manage("migrate", "--check", env=broken_except(
            REQUEST_ID_HEADER="bad header", CHIMERA_PROVIDER_GOOGLE_API_KEY="sk-never-shown"))
        assert result.returncode == 1
        expected = ["observability.E001 REQUEST_ID_HEADER is not a valid HTTP header name: 'bad header'.",
                    *LINES.values()]
        assert result.stderr == "Configuration error: Invalid configuration:\n" + "".join(
            f"  {line}\n" for line in expected)
        assert "sk-never-shown" not in result.stdout + result.stderr
