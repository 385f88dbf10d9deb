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
        checks.register(observability_checks.check_tracing_settings, "observability")
        refuse_invalid_configuration()
        set_up_tracing()


def refuse_invalid_configuration() -> None:
    """Stop start-up on configuration errors: servers never run system checks themselves."""
    from observability.conf import request_id_problems

    problems = request_id_problems() + tracing_errors()
    if problems and not running_reporting_command():
        lines = "\n".join(f"  observability.E{p.id} {p.message}" for p in problems)
        raise ImproperlyConfigured(f"Invalid observability configuration:\n{lines}")


def running_reporting_command() -> bool:
    """Whether this process is ``manage.py check`` or ``check_tracing``."""
    return len(sys.argv) > 1 and sys.argv[0].endswith("manage.py") and sys.argv[1] in REPORTING_COMMANDS


def tracing_errors() -> list:
    """Tracing problems that are errors (tracing is on); warnings do not stop start-up."""
    from observability.conf import get_tracing_config, tracing_problems, tracing_problems_are_errors

    problems = tracing_problems()
    return problems if tracing_problems_are_errors(get_tracing_config(), problems) else []


def set_up_tracing() -> None:
    """Tracing for this process, unless its configuration has errors (reported, not used)."""
    if not tracing_errors():
        from observability.tracing import setup_tracing

        setup_tracing()
