"""System checks of observability: IDs, hints, registration, start-up refusal."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from observability import checks

MIDDLEWARE = "observability.middleware.RequestIDMiddleware"
OTEL_MIDDLEWARE = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_project_configuration_is_clean():
    assert checks.check_request_id_settings() == []
    assert checks.check_middleware() == []


def test_settings_problems_are_errors_with_hints(settings):
    settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "bad header", "REQUEST_ID_GENERATOR": "no.such.thing"}
    messages = checks.check_request_id_settings()
    assert ids(messages) == ["observability.E001", "observability.E003"]
    assert all(message.is_serious() and message.hint for message in messages)


def test_w040_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    messages = checks.check_middleware()
    assert ids(messages) == ["observability.W040"]
    assert MIDDLEWARE in messages[0].hint


def test_w041_middleware_not_first(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE] + [MIDDLEWARE]
    messages = checks.check_middleware()
    assert ids(messages) == ["observability.W041"]
    assert "django.middleware.security.SecurityMiddleware" in messages[0].msg


def test_opentelemetry_middleware_may_come_first(settings):
    settings.MIDDLEWARE = [OTEL_MIDDLEWARE, *settings.MIDDLEWARE]
    assert checks.check_middleware() == []


def test_checks_are_registered_under_the_observability_tag(settings):
    settings.OBSERVABILITY = {"REQUEST_ID_TRUST_INCOMING": "sometimes"}
    with pytest.raises(SystemCheckError, match="observability.E002"):
        call_command("check", tags=["observability"])
