"""App config of the chimera project itself."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


class ChimeraConfig(AppConfig):
    """The project's own app: its services and their health registrations."""

    name = "chimera"
    verbose_name = "Chimera"

    def ready(self) -> None:
        from chimera import checks as chimera_checks

        for check in (chimera_checks.check_service_settings, chimera_checks.check_default_provider,
                      chimera_checks.check_api_keys):
            checks.register(check, "chimera")
        refuse_invalid_configuration()


def refuse_invalid_configuration() -> None:
    """Stop start-up on configuration errors (servers never run system checks), except under check."""
    from chimera.conf import service_problems
    from observability.apps import running_reporting_command

    problems = service_problems()
    if problems and not running_reporting_command():
        lines = "\n".join(f"  chimera.{p.id} {p.message}" for p in problems)
        raise ImproperlyConfigured(f"Invalid service configuration:\n{lines}")
