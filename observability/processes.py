"""Telemetry of one process: what a process starts after a fork and flushes before it exits.

Exporters hold threads, sockets and gRPC channels, none of which survive a fork. Every server
or worker model calls these two functions at the same points: gunicorn's ``post_fork`` and
``worker_exit`` (``observability.gunicorn``), a task queue's worker-process start and end.
"""

from __future__ import annotations


def after_fork() -> None:
    """Give this freshly forked process exporters of its own (a no-op where nothing is set up)."""
    from django.apps import apps

    if apps.ready:
        from observability.tracing.setup import setup_tracing

        setup_tracing()


def before_exit(bound: float) -> None:
    """Flush what this process has buffered, giving up after `bound` seconds whatever the collectors do."""
    from django.apps import apps

    if not apps.ready:
        return
    from observability.tracing.setup import shutdown_tracing

    shutdown_tracing(bound)
