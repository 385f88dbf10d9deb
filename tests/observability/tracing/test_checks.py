"""System checks of the tracing configuration: errors with tracing on, warnings when it is off."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from observability.checks import check_tracing_settings


def ids(messages):
    return [message.id for message in messages]


def test_valid_configuration_has_no_messages(settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp"}
    assert check_tracing_settings() == []


def test_problems_are_errors_with_tracing_enabled(settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_SAMPLE_RATE": "1.5", "TRACING_EXPORTER": "kafka"}
    messages = check_tracing_settings()
    assert ids(messages) == ["observability.E011", "observability.E014"]
    assert all(isinstance(m, checks.Error) for m in messages)
    assert all(m.hint for m in messages)


def test_the_same_problems_are_warnings_with_tracing_disabled(settings):
    settings.OBSERVABILITY = {"TRACING_SAMPLE_RATE": "1.5"}
    messages = check_tracing_settings()
    assert ids(messages) == ["observability.W014"]
    assert isinstance(messages[0], checks.Warning)


def test_an_unreadable_tracing_enabled_is_an_error(settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "perhaps"}
    assert ids(check_tracing_settings()) == ["observability.E010"]


def test_the_check_is_registered_under_the_observability_tag():
    registered = checks.registry.registry.get_checks(include_deployment_checks=False)
    assert check_tracing_settings in registered
    assert "observability" in checks.registry.registry.tags_available()


def test_manage_py_check_reports_the_error_id(settings):
    settings.OBSERVABILITY = {"TRACING_ENABLED": "true", "TRACING_HEADERS": "broken-secret-value"}
    with pytest.raises(SystemCheckError) as info:
        call_command("check", "--tag", "observability")
    assert "observability.E015" in str(info.value)
    assert "broken-secret-value" not in str(info.value)
