"""manage.py health: table or JSON, every check run, exit 0/1/2, no tracebacks, no secrets."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.processes import free_port, project_env, run_manage

PASSWORD = "cli-db-pass-Qm39"


def health(*args) -> str:
    out = StringIO()
    call_command("health", *args, stdout=out, no_color=True)
    return out.getvalue()


@pytest.mark.django_db
def test_table_of_every_service(project_services):
    output = health()
    lines = output.splitlines()
    assert lines[0].split() == ["SERVICE", "STATUS", "CRITICAL", "LATENCY", "REASON"]
    assert {line.split()[0] for line in lines[1:] if line and not line.startswith("overall")} == set(
        project_services.names())
    assert lines[-1].startswith("overall: up (checked at ")


@pytest.mark.django_db
def test_json_with_details(project_services):
    body = json.loads(health("--json", "--service", "database"))
    assert list(body["services"]) == ["database"]
    assert "details" in body["services"]["database"]
    assert "providers" in body


@pytest.mark.django_db
def test_down_exits_1_after_running_every_check(project_services):
    calls = []
    project_services.register("first", lambda: 1 / 0)
    project_services.register("second", lambda: calls.append(1))
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("health", stdout=out, no_color=True)
    assert info.value.returncode == 1
    assert calls == [1]
    assert "ZeroDivisionError: division by zero" in out.getvalue()
    assert "Traceback" not in out.getvalue()


@pytest.mark.django_db
def test_verbosity_2_logs_the_traceback(project_services, caplog):
    project_services.register("first", lambda: 1 / 0, critical=False)
    caplog.handler.setLevel(logging.DEBUG)  # the loggers keep their levels: the command sets the runner's
    health("-v", "2", "--service", "first")
    assert "Health check first is down: ZeroDivisionError: division by zero" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text


def test_unknown_service_exits_2():
    with pytest.raises(CommandError, match="Unknown service 'nope'") as info:
        health("--service", "nope")
    assert info.value.returncode == 2


def test_invalid_configuration_exits_2(healthdash_settings):
    healthdash_settings(HEALTH_DEADLINE="soon")
    with pytest.raises(CommandError, match=r"healthdash\.E002 HEALTH_DEADLINE must be") as info:
        health()
    assert info.value.returncode == 2


@pytest.mark.slow
class TestAsAnOperatorRunsIt:
    def test_database_down_exits_1_without_traceback_or_password(self):
        url = f"postgres://app:{PASSWORD}@127.0.0.1:{free_port()}/app"
        result = run_manage("health", env=project_env(DATABASE_URL=url))
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout.split("\n")[1].split()[:2] == ["database", "down"]
        output = result.stdout + result.stderr
        assert "Traceback" not in output
        assert PASSWORD not in output

    def test_exit_status_2_for_an_unknown_service_or_invalid_settings(self, migrated_db_url):
        unknown = run_manage("health", "--service", "nope", env=project_env(DATABASE_URL=migrated_db_url))
        assert (unknown.returncode, unknown.stderr.strip()) == (
            2, "CommandError: Unknown service 'nope'; registered: database, cache, migrations, tracing, "
            "llm_service, transformation_engine.")
        invalid = run_manage("health", env=project_env(DATABASE_URL=migrated_db_url, HEALTH_ANONYMOUS="all"))
        assert invalid.returncode == 2
        assert "HEALTH_ANONYMOUS must be one of statuses, overall, deny, got 'all'" in invalid.stderr

    def test_json_and_exit_0_when_up(self, migrated_db_url):
        result = run_manage("health", "--json", env=project_env(DATABASE_URL=migrated_db_url))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"] == "up"

    def test_invalid_settings_stop_other_commands(self, migrated_db_url):
        result = run_manage("migrate", "--check", env=project_env(DATABASE_URL=migrated_db_url,
                                                                  HEALTH_MAX_WORKERS="none"))
        assert result.returncode == 1
        assert result.stderr.startswith("Configuration error: Invalid configuration:\n"
                                        "  healthdash.E004 HEALTH_MAX_WORKERS must be a whole number")
