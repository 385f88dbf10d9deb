"""App config of observability."""

from __future__ import annotations

import sys

from django.apps import AppConfig
from django.core import checks


class ObservabilityConfig(AppConfig):
    """Request IDs, tracing and log correlation for any Django project."""

    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        """Register the checks, refuse an invalid configuration of any app, set tracing and metrics up once."""
        from observability import checks as observability_checks
        from observability import timing
        from observability.compat.django import wrap_technical_404
        from observability.error_reports import redacted_not_found
        from observability.startup import refuse_invalid_configuration

        for check in observability_checks.CHECKS:
            checks.register(check, "observability")
        for check in observability_checks.DEPLOY_CHECKS:
            checks.register(check, "observability", deploy=True)
        refuse_invalid_configuration()
        register_secrets()
        count_failed_logins()
        timing.install()
        wrap_technical_404(redacted_not_found)
        set_up_tracing()
        set_up_metrics()
        record_at_scrape()
        if "observability.tasks" in sys.modules:  # a Celery app was instrumented before Django was set up
            from observability.tasks.tracing import instrument_tracing

            instrument_tracing()
        start_command_context()

    def configuration_problems(self) -> list:
        """Problems of every setting of observability (observability.startup collects them)."""
        from observability.alerting.slos import slo_problems
        from observability.api_keys import api_key_problems
        from observability.auth_failures import failure_rate_problems
        from observability.journal.configuration import journal_problems
        from observability.metrics.configuration import metrics_problems
        from observability.proxies import trusted_proxy_problems
        from observability.query_keys import redaction_problems
        from observability.request_id import request_id_problems
        from observability.timing import server_timing_problems
        from observability.tracing.configuration import tracing_problems

        return (request_id_problems() + api_key_problems() + tracing_problems() + server_timing_problems()
                + metrics_problems() + trusted_proxy_problems() + failure_rate_problems() + redaction_problems()
                + slo_problems() + journal_problems())


def register_secrets() -> None:
    """The exporters' header values and endpoint credentials are masked in every log line too."""
    from observability.metrics.configuration import metrics_secrets
    from observability.redaction import add_secret_source
    from observability.tracing.configuration import tracing_secrets

    add_secret_source(tracing_secrets, "OBSERVABILITY")
    add_secret_source(metrics_secrets, "OBSERVABILITY")


def count_failed_logins() -> None:
    """Wrong passwords count against the client's address, with the wrong API keys."""
    from django.contrib.auth.signals import user_login_failed

    from observability.auth_failures import count_failed_login

    user_login_failed.connect(count_failed_login, dispatch_uid="observability.auth_failures")


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


def record_at_scrape() -> None:
    """Each scrape shows whether its process drains, and the journal's drops at 0 before the first."""
    from observability.metrics.recording import before_scrape

    before_scrape("observability", _at_scrape)


def _at_scrape() -> None:
    from observability.lifecycle import draining
    from observability.metrics.instruments import JOURNAL_DROPPED, SERVER_DRAINING

    SERVER_DRAINING.record(1.0 if draining() else 0.0)
    JOURNAL_DROPPED.add(0)


# Commands that serve or wait for others' work: their requests and tasks get IDs of their own.
COMMANDS_WITHOUT_RUN_ID = frozenset({"runserver", "testserver", "shell"})


def start_command_context(argv: list[str] | None = None) -> str | None:
    """One request ID for a run of a management command: its log lines and the tasks it publishes share it."""
    from observability.context import request_id_var
    from observability.startup import command_name

    name = command_name(sys.argv if argv is None else argv)
    if name is None or name in COMMANDS_WITHOUT_RUN_ID or request_id_var.get() is not None:
        return None
    from observability.request_id import get_request_id_config

    request_id = get_request_id_config().generator()
    request_id_var.set(request_id)
    return request_id
