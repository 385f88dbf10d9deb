"""Request IDs and traces that follow a request into its Celery tasks; import it only where Celery is installed.

``instrument(app)``, called where the project creates its Celery app, is all a project adds:

- a task carries the publishing request's ID (``observability.tasks.propagation``) and, with
  tracing on, its W3C trace context (``observability.tasks.tracing``) in its message headers;
  its log lines carry that ID, and its spans join the request's trace, tasks started by tasks
  included;
- every pool process of a worker exports its own telemetry and flushes it before it exits
  (``observability.tasks.worker``);
- the worker logs through the project's ``LOGGING`` (with ``RequestContextFilter``) instead of
  replacing it with Celery's own handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from celery import Celery

__all__ = ["instrument", "uninstrument"]

_UID = "observability.tasks."
_RECEIVERS = (  # (signal, receiver's module, receiver, dispatch_uid suffix)
    ("before_task_publish", "propagation", "add_request_id", "publish"),
    ("task_prerun", "propagation", "enter_task", "prerun"),
    ("task_postrun", "propagation", "leave_task", "postrun"),
    ("worker_process_init", "worker", "after_fork", "process_init"),
    ("worker_process_shutdown", "worker", "before_exit", "process_shutdown"),
    ("worker_shutdown", "worker", "before_exit", "shutdown"),
)


def instrument(app: Celery, *, keep_logging: bool = True) -> Celery:
    """Connect the receivers to Celery's signals (once per process); tracing follows when it is set up.

    `keep_logging=False` lets Celery configure the worker's logging itself.
    """
    from celery import signals
    from django.apps import apps

    from observability.tasks import propagation, worker

    modules = {"propagation": propagation, "worker": worker}
    for signal, module, receiver, uid in _RECEIVERS:
        getattr(signals, signal).connect(getattr(modules[module], receiver), weak=False, dispatch_uid=_UID + uid)
    if keep_logging:
        signals.setup_logging.connect(worker.keep_project_logging, weak=False, dispatch_uid=_UID + "logging")
    if apps.ready:  # else ObservabilityConfig.ready() does it, once tracing is set up
        from observability.tasks.tracing import instrument_tracing

        instrument_tracing()
    return app


def uninstrument() -> None:
    """Disconnect what instrument() connected (tests, benchmarks); the tracing instrumentation stays."""
    from celery import signals

    for signal, _, _, uid in _RECEIVERS:
        getattr(signals, signal).disconnect(dispatch_uid=_UID + uid)
    signals.setup_logging.disconnect(dispatch_uid=_UID + "logging")
