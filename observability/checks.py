"""Django system checks of observability, built from conf's Problems.

IDs are stable and never reused: 001-009 request IDs, 010-039 tracing, 040-049 middleware.
A configuration problem is an error (``observability.E0xx``) when it breaks a feature that is
on, and a warning (``observability.W0xx``, same number) when the feature is off.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import checks

from observability.conf import (
    Problem,
    get_tracing_config,
    request_id_problems,
    tracing_problems,
    tracing_problems_are_errors,
)

MIDDLEWARE_PATH = "observability.middleware.RequestIDMiddleware"
# OpenTelemetry's middleware opens the server span, so it may (and should) come first.
MAY_PRECEDE = frozenset({
    "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware",
    "observability.tracing_middleware.TracingMiddleware",  # the same, with path-anchored exclusions
})


def as_messages(problems: Iterable[Problem], *, error: bool) -> list[checks.CheckMessage]:
    """One check message per problem: an Error or a Warning with the same number."""
    kind, letter = (checks.Error, "E") if error else (checks.Warning, "W")
    return [kind(p.message, hint=p.hint or None, id=f"observability.{letter}{p.id}") for p in problems]


def check_request_id_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """REQUEST_ID_* values that cannot be used."""
    return as_messages(request_id_problems(), error=True)


def check_middleware(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RequestIDMiddleware is installed, and first (after OpenTelemetry's own)."""
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return [checks.Warning(
            f"{MIDDLEWARE_PATH} is not in MIDDLEWARE: responses carry no request ID and logs no correlation.",
            hint=f"Add '{MIDDLEWARE_PATH}' as the first entry of MIDDLEWARE.", id="observability.W040",
        )]
    before = [path for path in middleware[: middleware.index(MIDDLEWARE_PATH)] if path not in MAY_PRECEDE]
    if before:
        return [checks.Warning(
            f"{MIDDLEWARE_PATH} comes after {', '.join(before)}: responses those return early "
            "carry no request ID, and their log lines no correlation.",
            hint=f"Move '{MIDDLEWARE_PATH}' to the start of MIDDLEWARE.", id="observability.W041",
        )]
    return []


def check_tracing_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TRACING_* (and OTEL_*) values that cannot be used: errors with tracing on, else warnings."""
    problems = tracing_problems()
    return as_messages(problems, error=tracing_problems_are_errors(get_tracing_config(), problems))
