"""Configuration of observability: the index of every feature's settings and their public classes.

A project configures the app with one dict, ``settings.OBSERVABILITY``, keyed by the names of
the environment variables (``{"REQUEST_ID_HEADER": "X-Correlation-ID"}``), or with those
environment variables themselves; the dict wins. Each feature declares its variables once
(``observability.parsing.Variable``) beside its configuration class: request IDs in
``observability.request_id``, API keys in ``observability.api_keys``, tracing in
``observability.tracing.configuration``, metrics in ``observability.metrics.configuration``,
the request journal in ``observability.journal.configuration``, the rest in the module of the feature. ``VARIABLES``
lists them all; ``checks.py`` reports their problems and ``startup.py`` refuses start-up on errors.
"""

from __future__ import annotations

from observability.alerting.slos import SLOS
from observability.api_keys import API_KEYS, api_key_digests, key_digest
from observability.auth_failures import FAILURE_RATE
from observability.journal.configuration import VARIABLES as JOURNAL_VARIABLES
from observability.metrics.configuration import VARIABLES as METRICS_VARIABLES
from observability.metrics.configuration import MetricsConfig, get_metrics_config
from observability.proxies import TRUSTED_PROXIES
from observability.query_keys import SAFE_QUERY_KEYS
from observability.request_id import (
    REQUEST_ID_VARIABLES,
    RequestIDConfig,
    get_request_id_config,
    parse_request_id,
    request_id_problems,
)
from observability.timing import SERVER_TIMING
from observability.tracing.configuration import VARIABLES as TRACING_VARIABLES
from observability.tracing.configuration import TracingConfig, get_tracing_config

# The public configuration of every feature, importable from one place; each lives with its feature.
__all__ = [
    "RequestIDConfig", "TracingConfig", "MetricsConfig", "get_request_id_config", "get_tracing_config",
    "get_metrics_config", "parse_request_id", "request_id_problems", "api_key_digests", "key_digest", "VARIABLES",
]


# Every variable of the app's features declared with the mechanism, for documentation and tests.
VARIABLES = (*REQUEST_ID_VARIABLES, API_KEYS, *TRACING_VARIABLES, *METRICS_VARIABLES, SERVER_TIMING, TRUSTED_PROXIES,
             FAILURE_RATE, SAFE_QUERY_KEYS, SLOS, *JOURNAL_VARIABLES)
