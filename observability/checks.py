"""Django system checks of observability, built from the configuration's Problems.

IDs are stable and never reused: 001-009 request IDs and API keys, 010-039 tracing (026:
``SERVER_TIMING``), 040-049 middleware, 050-069 metrics, 080-089 client addresses and the limit on
failed authentication. A configuration problem is an error (``observability.E0xx``) when it
breaks a feature that is on, and a warning (``observability.W0xx``, same number) when it is off.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from observability.api_keys import api_key_problems
from observability.auth_failures import failure_rate_problems
from observability.metrics.configuration import metrics_problems
from observability.proxies import trusted_proxy_problems
from observability.request_id import request_id_problems
from observability.tracing import middleware as tracing_middleware
from observability.tracing.configuration import tracing_problems
from observability.tracing.sdk import official_middleware_path

MIDDLEWARE_PATH = "observability.middleware.RequestIDMiddleware"


def check_request_id_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """REQUEST_ID_* and API_KEYS values that cannot be used."""
    return [problem.check_message() for problem in request_id_problems() + api_key_problems()]


def check_tracing_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TRACING_* (and OTEL_*) values that cannot be used: errors with tracing on, else warnings."""
    return [problem.check_message() for problem in tracing_problems()]


def check_access_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TRUSTED_PROXIES and API_KEY_FAILURE_RATE values that cannot be used."""
    return [problem.check_message() for problem in trusted_proxy_problems() + failure_rate_problems()]


def check_metrics_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """METRICS_* (and OTEL_*) values that cannot be used: errors with metrics on, else warnings."""
    return [problem.check_message() for problem in metrics_problems()]


def check_server_timing_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A SERVER_TIMING value that cannot be used."""
    from observability.timing import server_timing_problems

    return [problem.check_message() for problem in server_timing_problems()]


def check_middleware(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RequestIDMiddleware is installed, and first (after OpenTelemetry's own)."""
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return [checks.Warning(
            f"{MIDDLEWARE_PATH} is not in MIDDLEWARE: responses carry no request ID and logs no correlation.",
            hint=f"Add '{MIDDLEWARE_PATH}' as the first entry of MIDDLEWARE.", id="observability.W040",
        )]
    # OpenTelemetry's middleware (or ours in its place) opens the server span, so it may come first.
    may_precede = {official_middleware_path(), tracing_middleware.MIDDLEWARE_PATH}
    before = [path for path in middleware[: middleware.index(MIDDLEWARE_PATH)] if path not in may_precede]
    if before:
        return [checks.Warning(
            f"{MIDDLEWARE_PATH} comes after {', '.join(before)}: responses those return early "
            "carry no request ID, and their log lines no correlation.",
            hint=f"Move '{MIDDLEWARE_PATH}' to the start of MIDDLEWARE.", id="observability.W041",
        )]
    return []


# Every check above, registered under the "observability" tag by ObservabilityConfig.ready().
CHECKS = (check_request_id_settings, check_middleware, check_tracing_settings, check_server_timing_settings,
          check_metrics_settings, check_access_settings)
