"""App config of observability."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class ObservabilityConfig(AppConfig):
    """Request IDs, tracing and log correlation for any Django project."""

    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        """Register the checks, refuse an invalid configuration of any app, set tracing up once."""
        from observability import checks as observability_checks
        from observability.startup import refuse_invalid_configuration

        for check in (observability_checks.check_request_id_settings, observability_checks.check_middleware,
                      observability_checks.check_tracing_settings, observability_checks.check_access_settings):
            checks.register(check, "observability")
        refuse_invalid_configuration()
        register_secrets()
        set_up_tracing()

    def configuration_problems(self) -> list:
        """Problems of every setting of observability (observability.startup collects them)."""
        from observability.auth_failures import failure_rate_problems
        from observability.conf import api_key_problems, request_id_problems
        from observability.proxies import trusted_proxy_problems
        from observability.tracing.configuration import tracing_problems

        return (request_id_problems() + api_key_problems() + tracing_problems() + trusted_proxy_problems()
                + failure_rate_problems())


def register_secrets() -> None:
    """The exporter's header values and endpoint credentials are masked in every log line too."""
    from observability.redaction import add_secret_source
    from observability.tracing.configuration import tracing_secrets

    add_secret_source(tracing_secrets, "OBSERVABILITY")


def set_up_tracing() -> None:
    """Tracing for this process, unless its configuration has errors (reported, not used)."""
    from observability.tracing.configuration import tracing_problems

    if not any(problem.is_error for problem in tracing_problems()):
        from observability.tracing.setup import setup_tracing

        setup_tracing()
