"""The current request ID, kept in a contextvar: one value per thread and per asyncio task.

Work outside a request (management commands, threads, task queues) can set its own ID with
``request_id_context()`` (``observability.tasks`` does it for Celery tasks); work handed to a
thread pool keeps the caller's ID when submitted through ``ContextThreadPoolExecutor`` or
wrapped with ``in_current_context()``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["ContextThreadPoolExecutor", "get_request_id", "in_current_context", "request_id_context", "user_id_of"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# The background task being run, (task ID, task name), or None: set by observability.tasks.
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("task", default=None)
# The request being handled (set by RequestIDMiddleware): its user is known only once authentication ran.
request_var: contextvars.ContextVar[object | None] = contextvars.ContextVar("request", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def get_request_id() -> str | None:
    """The ID of the request (or unit of work) being handled, or None outside one."""
    return request_id_var.get()


def user_id_of(request: object | None) -> str | None:
    """The primary key of `request`'s authenticated Django user, as a string; None for anonymous callers,
    API keys (they have no key in the database) and while authentication has not run yet.

    Only the key, never a name or an e-mail: it goes into spans, log lines and the journal.
    """
    from observability.compat.django import loaded_user  # Django is not loaded by every user of this module

    user = loaded_user(request) if request is not None else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    key = getattr(user, "pk", None)
    return None if key is None else str(key)


@contextmanager
def request_id_context(request_id: str | None = None) -> Iterator[str]:
    """Run a block under `request_id` (a new one when None), restoring the previous ID after."""
    if request_id is None:
        from observability.request_id import get_request_id_config

        request_id = get_request_id_config().generator()
    token = request_id_var.set(request_id)
    try:
        yield request_id
    finally:
        request_id_var.reset(token)


def in_current_context(func: Callable[P, R]) -> Callable[P, R]:
    """`func` bound to a copy of the caller's context: request ID and active span travel with it."""
    context = contextvars.copy_context()

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.copy().run(func, *args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the context (request ID, span) of whoever submitted them."""

    def submit(self, fn: Callable[..., R], /, *args, **kwargs) -> Future[R]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
