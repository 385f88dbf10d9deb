"""Django system checks of observability, built from the configuration's Problems.

IDs are stable and never reused: 001-009 request IDs and API keys, 010-039 tracing (026 and 031:
``SERVER_TIMING``; 027-030: a package of a missing extra, ``observability.extras``), 040-049
middleware, 050-069 metrics (059: the grpc extra missing; 060: workers sharing no folder; 061:
anonymous metrics under ``--deploy``; 069: ``/metrics`` not routed), 070-079 redaction, 080-089
client addresses and the limit on failed authentication, 090-099 the request journal, 100-109
SLOs. A configuration problem is an error (``observability.E0xx``) when it breaks a feature that
is on, and a warning (``observability.W0xx``, same number) when it is off. ``DEPLOY_CHECKS`` run
under ``check --deploy`` only: valid settings that suit development, not a service facing the
internet.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from observability import pipeline
from observability.api_keys import api_key_problems
from observability.auth_failures import failure_rate, failure_rate_problems
from observability.metrics import discovery
from observability.metrics.configuration import get_metrics_config, metrics_problems
from observability.proxies import trusted_proxy_problems
from observability.query_keys import redaction_problems
from observability.request_id import request_id_problems
from observability.tracing.configuration import tracing_problems
from observability.tracing.sdk import official_middleware_path


def check_request_id_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """REQUEST_ID_* and API_KEYS values that cannot be used."""
    return [problem.check_message() for problem in request_id_problems() + api_key_problems()]


def check_tracing_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TRACING_* (and OTEL_*) values that cannot be used: errors with tracing on, else warnings."""
    return [problem.check_message() for problem in tracing_problems()]


def check_redaction_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """REDACTION_SAFE_QUERY_KEYS values that cannot be used: a key must stay a key."""
    return [problem.check_message() for problem in redaction_problems()]


def check_access_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TRUSTED_PROXIES and API_KEY_FAILURE_RATE values that cannot be used."""
    return [problem.check_message() for problem in trusted_proxy_problems() + failure_rate_problems()]


def check_metrics_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """METRICS_* (and OTEL_*) values that cannot be used: errors with metrics on, else warnings."""
    return [problem.check_message() for problem in metrics_problems()]


def check_metrics_processes(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """This process is one of several workers of a server whose /metrics cannot be summed over them."""
    from observability.metrics.setup import prometheus_backend

    backend = prometheus_backend()
    message = discovery.unshared_workers() if backend is not None and backend.folder is None else None
    return [checks.Warning(message, hint=discovery.UNSHARED_HINT, id=discovery.UNSHARED_ID)] if message else []


def check_slo_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """OBSERVABILITY_SLOS specs that cannot give rules: CI regenerates the rules from them."""
    from observability.alerting.slos import slo_problems

    return [problem.check_message() for problem in slo_problems()]


def check_journal_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """REQUEST_JOURNAL_* and link template values that cannot be used."""
    from observability.journal.configuration import journal_problems

    return [problem.check_message() for problem in journal_problems()]


def check_server_timing_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A SERVER_TIMING value that cannot be used."""
    from observability.timing import server_timing_problems

    return [problem.check_message() for problem in server_timing_problems()]


PIPELINE_HINT = ("Start MIDDLEWARE with these lines, in this order (each does nothing while its feature is off):"
                 + pipeline.lines())
# Why each one goes where ORDER puts it, for the warning naming what stands before it.
MISPLACED_BECAUSE = {
    pipeline.CLIENT_ADDRESS: "what those record sees the proxy's address, not the client's",
    pipeline.TRACING: "the server span misses what those do, and what they record carries no trace",
    pipeline.REQUEST_ID: "responses those return early carry no request ID, and their log lines no correlation",
    pipeline.METRICS: "requests those answer, and the time they take, are not counted",
    pipeline.JOURNAL: "requests those answer are never recorded, and their log records are missed",
}


def check_middleware(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RequestIDMiddleware is installed, and only OpenTelemetry's or ours come before it."""
    middleware = pipeline.as_written(settings.MIDDLEWARE)
    if pipeline.REQUEST_ID not in middleware:
        return [checks.Warning(
            f"{pipeline.REQUEST_ID} is not in MIDDLEWARE: responses carry no request ID and logs no correlation.",
            hint=PIPELINE_HINT, id="observability.W040",
        )]
    before = misplaced_before(middleware, pipeline.REQUEST_ID)
    if before:
        return [checks.Warning(
            f"{pipeline.REQUEST_ID} comes after {', '.join(before)}: "
            f"{MISPLACED_BECAUSE[pipeline.REQUEST_ID]}.", hint=PIPELINE_HINT, id="observability.W041",
        )]
    return []


def check_middleware_order(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The other observability middleware come first in MIDDLEWARE, in the pipeline's order."""
    middleware = pipeline.as_written(settings.MIDDLEWARE)
    messages = []
    for path in (pipeline.CLIENT_ADDRESS, pipeline.TRACING, pipeline.METRICS, pipeline.JOURNAL):
        before = misplaced_before(middleware, path) if path in middleware else []
        if before:
            messages.append(checks.Warning(
                f"{path} comes after {', '.join(before)}: {MISPLACED_BECAUSE[path]}.",
                hint=PIPELINE_HINT, id="observability.W042",
            ))
    return messages


def check_middleware_listed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A MIDDLEWARE with RequestIDMiddleware lists the other observability middleware too."""
    middleware = pipeline.as_written(settings.MIDDLEWARE)
    missing = [path for path in pipeline.ORDER if path not in middleware]
    if pipeline.REQUEST_ID not in middleware or not missing:
        return []  # without RequestIDMiddleware, W040 names every line
    unresolved = "; the client behind TRUSTED_PROXIES is never resolved" if pipeline.CLIENT_ADDRESS in missing else ""
    return [checks.Warning(
        f"MIDDLEWARE lists {pipeline.REQUEST_ID} but not {', '.join(missing)}: the requests' pipeline is not "
        f"what MIDDLEWARE says (tracing and metrics splice their middleware in at start-up while on{unresolved}).",
        hint=f"Add {', '.join(repr(path) for path in missing)}. {PIPELINE_HINT}", id="observability.W043",
    )]


def check_metrics_routed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """/metrics is served (metrics on, prometheus among the exporters): observability.urls is routed."""
    from django.urls import NoReverseMatch, reverse

    if not get_metrics_config().serves_prometheus:
        return []
    try:
        reverse("observability:metrics")
    except NoReverseMatch:
        return [checks.Warning(
            "Metrics are on with the prometheus exporter, but observability.urls is not routed: nothing "
            "answers /metrics.",
            hint=f'Add path("", include("observability.urls")) to urlpatterns in {settings.ROOT_URLCONF} '
                 "(include and path from django.urls), or set METRICS_EXPORTER to a push exporter.",
            id="observability.W069")]
    return []


def misplaced_before(middleware: list[str], path: str) -> list[str]:
    """The entries before `path` that the pipeline puts after it: anything but OpenTelemetry's and ours before."""
    may_precede = {official_middleware_path(), *pipeline.ORDER[:pipeline.ORDER.index(path)]}
    return [entry for entry in middleware[: middleware.index(path)] if entry not in may_precede]


def check_deploy_exposure(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Settings that show a production service's insides to anyone, or leave guessing unlimited."""
    from observability.timing import server_timing_enabled

    messages = []
    if get_metrics_config().serves_prometheus and get_metrics_config().anonymous:
        messages.append(checks.Warning(
            "METRICS_ANONYMOUS is true: anyone who reaches /metrics reads every route, its traffic and its errors.",
            hint="Leave METRICS_ANONYMOUS unset and give the scraper an API key, or keep /metrics off the internet "
                 "at the proxy.", id="observability.W061"))
    if server_timing_enabled():
        messages.append(checks.Warning(
            "Server-Timing is on: every response tells its client how long the database and cache took and how "
            "many queries ran.", hint="Set SERVER_TIMING=false (the access log keeps db_ms and db_queries).",
            id="observability.W031"))
    if failure_rate() is None:
        messages.append(checks.Warning(
            "API_KEY_FAILURE_RATE is off: wrong API keys and admin passwords can be guessed at full speed.",
            hint="Leave API_KEY_FAILURE_RATE unset (10/min) or set a rate such as 10/min.", id="observability.W083"))
    return messages


# Every check above, registered under the "observability" tag by ObservabilityConfig.ready().
CHECKS = (check_request_id_settings, check_middleware, check_middleware_order, check_middleware_listed,
          check_tracing_settings, check_server_timing_settings, check_metrics_settings, check_metrics_processes,
          check_access_settings, check_metrics_routed, check_redaction_settings, check_slo_settings,
          check_journal_settings)
# Registered with deploy=True: only ``check --deploy`` runs them.
DEPLOY_CHECKS = (check_deploy_exposure,)
