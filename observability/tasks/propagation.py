"""The request ID across Celery: into a task's message when it is published, back into the context while it runs.

Receivers of Celery's ``before_task_publish``, ``task_prerun`` and ``task_postrun`` signals,
connected by ``observability.tasks.instrument()``. A task published while a request (or a
task, or a management command) runs carries that request's ID; one published outside any
(beat, a shell) gets a new one. While the task runs, the ID is the one in
``observability.context.request_id_var`` (so every log line carries it), and the task's ID and
name are in ``task_var`` (JSON log lines show them).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from observability.context import request_id_var, task_var
from observability.request_id import get_request_id_config, is_valid_request_id

__all__ = ["HEADER", "SPAN_ATTRIBUTE", "add_request_id", "enter_task", "leave_task"]

HEADER = "x_request_id"
"""The message header that carries the request ID (Celery shows it as ``task.request.x_request_id``)."""
SPAN_ATTRIBUTE = "request.id"
# Where a running task's context tokens are kept until the task ends: on its request object.
TOKENS_ATTRIBUTE = "observability_tokens"


def add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the current request's ID (or a new one) in the message headers, unless set already."""
    if headers is not None and HEADER not in headers:
        headers[HEADER] = request_id_var.get() or get_request_id_config().generator()


def enter_task(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: the message's request ID (or the caller's, when run eagerly) for the task's run."""
    if task is None or task_id is None:
        return
    request = task.request
    incoming = getattr(request, HEADER, None)
    request_id = incoming if is_valid_request_id(incoming) else request_id_var.get()
    if request_id is None:
        request_id = get_request_id_config().generator()
    setattr(request, TOKENS_ATTRIBUTE, (request_id_var.set(request_id), task_var.set((task_id, task.name))))


def leave_task(task: Any = None, **kwargs: Any) -> None:
    """``task_postrun``: the context as it was before the task."""
    tokens = getattr(task.request, TOKENS_ATTRIBUTE, None) if task is not None else None
    if tokens is None:
        return
    setattr(task.request, TOKENS_ATTRIBUTE, None)
    # These receivers are connected before the tracing instrumentation's, which opens the task's
    # span after this module's task_prerun and ends it after its task_postrun: the span is
    # current here, not there.
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(SPAN_ATTRIBUTE, request_id_var.get())
    request_token, task_token = tokens
    task_var.reset(task_token)
    request_id_var.reset(request_token)
