"""gunicorn server hooks for tracing; ``gunicorn.conf.py`` calls them.

- ``refuse_invalid_tracing_environment`` (gunicorn.conf.py, as it loads) and ``on_starting``
  (master): refuse to start on tracing configuration errors, with the message naming the
  variable, before the app is preloaded or any worker boots (either would fail in ``ready()``
  with a traceback).
- ``post_fork`` (worker): under ``--preload`` the app, and tracing, were set up in the master;
  the worker builds its own exporter. Without preload, ``ready()`` runs in the worker anyway.
- ``worker_exit`` (worker): flush buffered spans within a bound shorter than gunicorn's
  graceful timeout, whether or not the collector answers.
"""

from __future__ import annotations

import sys

# Time left to the worker for exiting after the flush, out of gunicorn's graceful timeout.
EXIT_MARGIN_SECONDS = 1.0


def refuse_invalid_tracing_environment() -> None:
    """From gunicorn.conf.py, before ``--preload`` loads the app: check the TRACING_* variables.

    The settings forward these variables as they are (see the README), so the environment alone
    tells; the app's own refusal would come with the traceback of a failed preload.
    """
    import os

    from observability.conf import parse_tracing

    message = _refusal(parse_tracing({k: v for k, v in os.environ.items() if k.startswith("TRACING_") and v}))
    if message:
        sys.exit(f"Configuration error: {message}")


def on_starting(server) -> None:
    """Stop gunicorn with one clear line per problem when enabled tracing is misconfigured."""
    from observability.conf import parse_tracing, user_settings

    message = _refusal(parse_tracing(user_settings()))
    if message:
        server.log.error("Configuration error: %s", message)
        sys.exit(1)


def _refusal(parsed) -> str:
    from observability.conf import tracing_problems_are_errors

    config, problems = parsed
    if not problems or not tracing_problems_are_errors(config, problems):
        return ""
    lines = "\n".join(f"  observability.E{p.id} {p.message}" for p in problems)
    return f"Invalid observability configuration:\n{lines}"


def post_fork(server, worker) -> None:
    """Give a worker forked from a preloading master an exporter of its own."""
    from django.apps import apps

    if apps.ready:
        from observability.tracing import setup_tracing

        setup_tracing()


def worker_exit(server, worker) -> None:
    """Flush this worker's spans, bounded by TRACING_SHUTDOWN_TIMEOUT_SECONDS and the graceful timeout."""
    from django.apps import apps

    if not apps.ready:
        return
    from observability.conf import get_tracing_config
    from observability.tracing import shutdown_tracing

    graceful = float(getattr(server.cfg, "graceful_timeout", 30))
    bound = min(get_tracing_config().shutdown_timeout, max(graceful - EXIT_MARGIN_SECONDS, 0.5))
    shutdown_tracing(bound)
