"""System checks of the service layer, and start-up refusal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from chimera import checks
from observability.startup import refuse_invalid_configuration
from tests.support.processes import project_env, run_manage


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_settings_problems_are_errors(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_THROTTLE_RATE": "lots", "CHIMERA_PROVIDER_OPENAI_URL": "nowhere"}
    messages = checks.check_service_settings()
    assert ids(messages) == ["chimera.E002", "chimera.E010"]
    assert all(message.hint for message in messages)


def test_default_provider_without_key_is_a_warning(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "google"}
    assert ids(checks.check_default_provider()) == ["chimera.W020"]
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "google", "CHIMERA_PROVIDER_GOOGLE_API_KEY": "k"}
    assert checks.check_default_provider() == []


@pytest.mark.parametrize(("keys", "expected"), [
    ([], ["chimera.W021"]),
    (["", " "], ["chimera.W021"]),
    (["short"], ["chimera.W022"]),
    (["a-long-enough-random-key-0123"], []),
])
def test_api_keys(settings, keys, expected):
    settings.CHIMERA_API_KEYS = keys
    assert ids(checks.check_api_keys()) == expected


def test_checks_are_registered(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "x"}
    out = StringIO()
    with pytest.raises(Exception, match="chimera.E001"):
        call_command("check", "--tag", "chimera", stdout=out, stderr=out)


def test_start_up_is_refused_with_every_problem(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "x", "CHIMERA_PROMPT_MAX_CHARS": "many"}
    with pytest.raises(ImproperlyConfigured) as caught:
        refuse_invalid_configuration()
    assert "chimera.E001" in str(caught.value) and "chimera.E004" in str(caught.value)
    settings.CHIMERA_SERVICE = {}
    refuse_invalid_configuration()


@pytest.mark.slow
def test_invalid_variable_stops_start_up_with_one_clear_message():
    result = run_manage("showmigrations", env=project_env(CHIMERA_THROTTLE_RATE="lots",
                                                          CHIMERA_PROVIDER_GOOGLE_API_KEY="sk-never-shown"))
    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: Invalid configuration:\n"
                                    "  chimera.E002 CHIMERA_THROTTLE_RATE must be a rate such as 60/min, got 'lots'.")
    assert "Traceback" not in result.stderr and "sk-never-shown" not in result.stdout + result.stderr


@pytest.mark.slow
def test_check_command_reports_instead_of_refusing():
    result = run_manage("check", env=project_env(CHIMERA_DEFAULT_PROVIDER="gpt"))
    assert result.returncode == 1
    assert "(chimera.E001) CHIMERA_DEFAULT_PROVIDER must be one of local, google, openai, got 'gpt'." in result.stderr
