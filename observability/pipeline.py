"""The observability middleware in ``MIDDLEWARE``: the order a request takes through them.

A project lists them first in ``MIDDLEWARE`` (only OpenTelemetry's own middleware, which its
instrumentor inserts at the start, may precede them), in the order of ``ORDER``:

1. ``ClientAddressMiddleware``: the client's address behind ``TRUSTED_PROXIES``, before anything records it;
2. ``TracingMiddleware``: the server span, whose ``net.peer.ip`` is then the client's;
3. ``RequestIDMiddleware``: the request ID, tagged on that span;
4. ``MetricsMiddleware``: the request's duration, recorded while the span is current (its exemplar);
5. ``JournalMiddleware``: the request's log records, kept for failed and slow requests (``observability.journal``).

Each removes itself (``MiddlewareNotUsed``) while its feature is off, so listing all of them
costs nothing. A project of the first published lines lists ``RequestIDMiddleware`` alone:
tracing and metrics splice theirs in at start-up, where ``ORDER`` says, and the system checks
(``observability.checks``) judge ``MIDDLEWARE`` as the project wrote it, naming the lines to add.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CLIENT_ADDRESS", "JOURNAL", "METRICS", "ORDER", "REQUEST_ID", "TRACING", "as_written", "lines", "position",
           "set_up_middleware", "splice", "unsplice"]

CLIENT_ADDRESS = "observability.proxies.ClientAddressMiddleware"
TRACING = "observability.tracing.middleware.TracingMiddleware"
REQUEST_ID = "observability.middleware.RequestIDMiddleware"
METRICS = "observability.metrics.middleware.MetricsMiddleware"
JOURNAL = "observability.journal.recording.JournalMiddleware"
ORDER = (CLIENT_ADDRESS, TRACING, REQUEST_ID, METRICS, JOURNAL)

def set_up_middleware(middleware: object, get_response, used: bool = True) -> None:
    """What the observability middleware's ``__init__`` share: leave the chain when not `used`, else hold
    `get_response` and answer in its mode (``middleware.async_mode``: a coroutine function under ASGI)."""
    from asgiref.sync import iscoroutinefunction, markcoroutinefunction
    from django.core.exceptions import MiddlewareNotUsed

    if not used:
        raise MiddlewareNotUsed
    middleware.get_response = get_response
    middleware.async_mode = iscoroutinefunction(get_response)
    if middleware.async_mode:
        markcoroutinefunction(middleware)


# MIDDLEWARE after a splice -> MIDDLEWARE as the project wrote it. Keyed by the whole list, so a
# test's override_settings(MIDDLEWARE=...) is judged as it is written.
_written: dict[tuple[str, ...], tuple[str, ...]] = {}


def as_written(middleware: Iterable[str]) -> list[str]:
    """`middleware` without the entries ``splice()`` added."""
    entries = tuple(middleware)
    return list(_written.get(entries, entries))


def position(middleware: list[str], path: str) -> int:
    """Where `path` (one of ``ORDER``) goes in `middleware`: after the entries ``ORDER`` puts before it,
    before those it puts after it; first when none is listed."""
    rank = ORDER.index(path)
    earlier = [index + 1 for index, entry in enumerate(middleware) if entry in ORDER[:rank]]
    later = [index for index, entry in enumerate(middleware) if entry in ORDER[rank + 1:]]
    return min(max(earlier, default=0), min(later, default=len(middleware)))


def splice(path: str) -> None:
    """Put `path` into ``settings.MIDDLEWARE`` where ``ORDER`` says, unless the project lists it."""
    from django.conf import settings

    current = list(settings.MIDDLEWARE)
    if path in current:
        return
    middleware = [*current]
    middleware.insert(position(current, path), path)
    _replace(current, middleware)


def unsplice(path: str) -> None:
    """Take `path` out of ``settings.MIDDLEWARE`` again, when ``splice()`` put it there."""
    from django.conf import settings

    current = list(settings.MIDDLEWARE)
    if path in current and path not in as_written(current):
        _replace(current, [entry for entry in current if entry != path])


def _replace(current: list[str], middleware: list[str]) -> None:
    from django.conf import settings

    _written[tuple(middleware)] = tuple(as_written(current))
    settings.MIDDLEWARE = middleware


def lines(paths: Iterable[str] = ORDER) -> str:
    """`paths` as the lines of a ``MIDDLEWARE`` list, for the hints of the checks and the docs."""
    return "".join(f'\n    "{path}",' for path in paths)
