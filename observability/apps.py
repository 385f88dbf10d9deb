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
        from observability import timing
        from observability.startup import refuse_invalid_configuration

        for check in (observability_checks.check_request_id_settings, observability_checks.check_middleware,
                      observability_checks.check_tracing_settings, observability_checks.check_server_timing_settings):
            checks.register(check, "observability")
        refuse_invalid_configuration()
        timing.install()
        set_up_tracing()

    def configuration_problems(self) -> list:
        """Problems of REQUEST_ID_*, API_KEYS, TRACING_* and SERVER_TIMING (observability.startup collects them)."""
        from observability.conf import api_key_problems, request_id_problems
        from observability.timing import server_timing_problems
        from observability.tracing.configuration import tracing_problems

        return request_id_problems() + api_key_problems() + tracing_problems() + server_timing_problems()


def set_up_tracing() -> None:
    """Tracing for this process, unless its configuration has errors (reported, not used)."""
    from observability.tracing.configuration import tracing_problems

    if not any(problem.is_error for problem in tracing_problems()):
        from observability.tracing.setup import setup_tracing

        setup_tracing()
