"""App config of observability."""

from __future__ import annotations

import sys

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# Commands whose job is to report configuration problems: start-up must let them run.
REPORTING_COMMANDS = frozenset({"check", "check_tracing"})


class ObservabilityConfig(AppConfig):
    """Request IDs, tracing and log correlation for any Django project."""

    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from observability import checks as observability_checks

        checks.register(observability_checks.check_request_id_settings, "observability")
        checks.register(observability_checks.check_middleware, "observability")
        refuse_invalid_configuration()


def refuse_invalid_configuration() -> None:
    """Stop start-up on configuration errors: servers never run system checks themselves."""
    from observability.conf import request_id_problems

    problems = request_id_problems()
    if problems and not running_reporting_command():
        lines = "\n".join(f"  observability.E{p.id} {p.message}" for p in problems)
        raise ImproperlyConfigured(f"Invalid observability configuration:\n{lines}")


def running_reporting_command() -> bool:
    """Whether this process is ``manage.py check`` or ``check_tracing``."""
    return len(sys.argv) > 1 and sys.argv[0].endswith("manage.py") and sys.argv[1] in REPORTING_COMMANDS
