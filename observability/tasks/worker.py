"""A Celery worker's processes: telemetry of their own after the fork, flushed before they exit.

Each pool process of the prefork pool is forked from the worker's main process, whose
exporters' threads and sockets it cannot use. The receivers here call
``observability.processes`` at the same points gunicorn's hooks do: ``worker_process_init``
(after the fork) and ``worker_process_shutdown`` (before a pool process exits); the main
process flushes on ``worker_shutdown`` (the solo and thread pools run tasks there).
"""

from __future__ import annotations

from typing import Any

from observability import processes


def after_fork(**kwargs: Any) -> None:
    """``worker_process_init``: exporters of this pool process's own."""
    processes.after_fork()


def before_exit(**kwargs: Any) -> None:
    """``worker_process_shutdown`` and ``worker_shutdown``: flush within TRACING_SHUTDOWN_TIMEOUT_SECONDS."""
    from django.apps import apps

    if not apps.ready:
        return
    from observability.tracing.configuration import get_tracing_config

    processes.before_exit(get_tracing_config().shutdown_timeout)


def keep_project_logging(**kwargs: Any) -> None:
    """``setup_logging``: a receiver makes Celery leave logging to the project (Django's ``LOGGING``).

    Otherwise the worker replaces the root logger's handlers with its own, and its lines lose
    the request context filter and the project's format.
    """
