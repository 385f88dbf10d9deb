"""App config of observability."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class ObservabilityConfig(AppConfig):
    """Request IDs, tracing and log correlation for any Django project."""

    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        """Register the checks, refuse an invalid configuration of any app, set tracing and metrics up once."""
        from observability import checks as observability_checks
        from observability.startup import refuse_invalid_configuration

        for check in (observability_checks.check_request_id_settings, observability_checks.check_middleware,
                      observability_checks.check_tracing_settings, observability_checks.check_metrics_settings):
            checks.register(check, "observability")
        refuse_invalid_configuration()
        set_up_tracing()
        set_up_metrics()

    def configuration_problems(self) -> list:
        """Problems of REQUEST_ID_*, API_KEYS, TRACING_* and METRICS_* (observability.startup collects them)."""
        from observability.conf import api_key_problems, request_id_problems
        from observability.metrics.configuration import metrics_problems
        from observability.tracing.configuration import tracing_problems

        return request_id_problems() + api_key_problems() + tracing_problems() + metrics_problems()


def set_up_tracing() -> None:
    """Tracing for this process, unless its configuration has errors (reported, not used)."""
    from observability.tracing.configuration import tracing_problems

    if not any(problem.is_error for problem in tracing_problems()):
        from observability.tracing.setup import setup_tracing

        setup_tracing()


def set_up_metrics() -> None:
    """Metrics for this process, unless their configuration has errors (reported, not used)."""
    from observability.metrics.configuration import metrics_problems

    if not any(problem.is_error for problem in metrics_problems()):
        from observability.metrics.setup import set_up_metrics as install

        install()
