"""Telemetry of one process: what a process starts after a fork and flushes before it exits.

Exporters hold threads, sockets and gRPC channels, none of which survive a fork. Every server
or worker model calls these two functions at the same points: gunicorn's ``post_fork`` and
``worker_exit`` (``observability.gunicorn``), a task queue's worker-process start and end.
The parent calls ``process_gone()`` for each child that ended, however it ended (gunicorn's
``child_exit``): a child killed outright runs nothing of its own. A server's worker that has
loaded the application calls ``freeze_loaded_objects()`` (gunicorn's ``post_worker_init``).
"""

from __future__ import annotations

import gc
import threading
import time

from django.dispatch import Signal

__all__ = ["after_fork", "before_exit", "freeze_loaded_objects", "process_gone", "worker_started", "worker_stopping"]

# Sent in a server's worker once it has loaded the application (gunicorn's post_worker_init): what an
# app runs for as long as the worker serves (healthdash's heartbeat) starts here, in the worker itself.
worker_started = Signal()
# Sent in a worker that stops of its own accord (gunicorn's worker_exit), before its telemetry is flushed;
# a worker killed outright sends nothing. Receivers keep it short: the worker is on its way out.
worker_stopping = Signal()


def after_fork() -> None:
    """Give this freshly forked process exporters of its own (a no-op where nothing is set up)."""
    from django.apps import apps

    if apps.ready:
        from observability.metrics.setup import start_pushing
        from observability.tracing.setup import setup_tracing

        setup_tracing()
        start_pushing()


def freeze_loaded_objects() -> int:
    """Collect the start-up garbage, then leave every object alive out of later full collections; how many.

    A full collection walks every object the process holds: in a Django worker that has loaded the
    application, about 125,000 objects and 65 ms, during which no thread of the worker runs a
    request. The settings, URLconf, models and modules live as long as the worker; frozen, they are
    not walked again, and a full collection walks only what requests left behind (a request's own
    garbage is freed as before). What is frozen is never collected: the start-up's cyclic garbage
    is collected first, so only what would have stayed anyway is kept out.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def before_exit(bound: float) -> None:
    """Flush what this process has buffered, giving up after `bound` seconds whatever the collectors do."""
    from django.apps import apps

    if not apps.ready:
        return
    from observability.metrics.setup import stop_pushing
    from observability.tracing.setup import shutdown_tracing

    # Spans and the last metrics interval are flushed side by side, both within the bound.
    deadline = time.monotonic() + bound
    metrics = threading.Thread(target=stop_pushing, args=(bound,), name="metrics-exit", daemon=True)
    metrics.start()
    shutdown_tracing(bound)
    metrics.join(max(deadline - time.monotonic(), 0))


def process_gone(pid: int) -> None:
    """In a parent: child `pid` ended, so it no longer counts among the live processes' values."""
    from observability.metrics.compaction import forget_process

    forget_process(pid)
