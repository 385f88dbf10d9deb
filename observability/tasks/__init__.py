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

_UID = "observability.tasks."


def instrument(app: Celery, *, keep_logging: bool = True) -> Celery:
    """Connect the receivers to Celery's signals (once per process); tracing follows when it is set up.

    `keep_logging=False` lets Celery configure the worker's logging itself.
    """
    from celery import signals
    from django.apps import apps

    from observability.tasks import propagation, worker

    signals.before_task_publish.connect(propagation.add_request_id, weak=False, dispatch_uid=_UID + "publish")
    signals.task_prerun.connect(propagation.enter_task, weak=False, dispatch_uid=_UID + "prerun")
    signals.task_postrun.connect(propagation.leave_task, weak=False, dispatch_uid=_UID + "postrun")
    signals.worker_process_init.connect(worker.after_fork, weak=False, dispatch_uid=_UID + "process_init")
    signals.worker_process_shutdown.connect(worker.before_exit, weak=False, dispatch_uid=_UID + "process_shutdown")
    signals.worker_shutdown.connect(worker.before_exit, weak=False, dispatch_uid=_UID + "shutdown")
    if keep_logging:
        signals.setup_logging.connect(worker.keep_project_logging, weak=False, dispatch_uid=_UID + "logging")
    if apps.ready:  # else ObservabilityConfig.ready() does it, once tracing is set up
        from observability.tasks.tracing import instrument_tracing

        instrument_tracing()
    return app
