"""Where a request's time went: its database queries and cache calls, counted whatever else is on.

``RequestIDMiddleware`` starts a ``RequestTimings`` for each request, in a contextvar (so work
the request hands to a ``ContextThreadPoolExecutor`` counts too) and in the WSGI environ (so
gunicorn's access log line can carry ``db_ms`` and ``db_queries``). Queries are timed by a
Django execute wrapper on every connection; cache calls by wrapping the public methods of the
cache backends in ``CACHES``, as django-debug-toolbar's cache panel does (Django has no hook
for them). With ``SERVER_TIMING=true`` (default: on with ``DEBUG``) the response carries
``Server-Timing: app;dur=..., db;dur=...;desc="N queries", cache;dur=...``, which browsers'
developer tools show.
"""

from __future__ import annotations

import functools
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.utils.module_loading import import_string

from observability.compat.django import wrap_cache_methods
from observability.parsing import Problem, Reader, Running, Variable, boolean, on_setting_change

__all__ = [
    "RequestTimings", "ServerTimingConfig", "add_query_timer", "install", "parse_server_timing",
    "server_timing_enabled", "server_timing_problems", "time_cache_backends", "time_query", "timed_cache_method",
]

ENVIRON_KEY = "observability.timings"


# One lock for every request's timings: held for an addition, it costs less than a lock made
# for each request (most requests make no query from a second thread).
_lock = threading.Lock()


class RequestTimings:
    """Seconds spent in queries and cache calls since the request started; safe across threads."""

    __slots__ = ("started", "db", "queries", "cache")

    def __init__(self) -> None:
        self.started = perf_counter()
        self.db = self.cache = 0.0
        self.queries = 0

    def add_query(self, seconds: float) -> None:
        with _lock:
            self.db += seconds
            self.queries += 1

    def add_cache(self, seconds: float) -> None:
        with _lock:
            self.cache += seconds

    def server_timing(self) -> str:
        """The ``Server-Timing`` value: ``app`` (the request so far), ``db`` and ``cache``, in milliseconds."""
        queries = f"{self.queries} {'query' if self.queries == 1 else 'queries'}"
        return (f'app;dur={(perf_counter() - self.started) * 1000:.2f}, '
                f'db;dur={self.db * 1000:.2f};desc="{queries}", cache;dur={self.cache * 1000:.2f}')


timings_var: ContextVar[RequestTimings | None] = ContextVar("request_timings", default=None)
# Set while a cache method runs, so the calls it makes itself (get_or_set calls get) count once.
_in_cache_call: ContextVar[bool] = ContextVar("in_cache_call", default=False)


# --- Configuration: SERVER_TIMING --------------------------------------------------------------


@dataclass(frozen=True)
class ServerTimingConfig:
    """Whether responses carry ``Server-Timing``; None: when ``DEBUG`` is on."""

    enabled: bool | None = None


SERVER_TIMING = Variable("SERVER_TIMING", "enabled", boolean, "observability.E026",
                         "true adds a Server-Timing header (app, db and cache durations) to every response; it is "
                         "on by default when DEBUG is.")


def parse_server_timing(raw, environ=None) -> tuple[ServerTimingConfig, list[Problem]]:
    """Validate ``SERVER_TIMING``; an invalid value keeps the default."""
    r = Reader(raw, environ, "OBSERVABILITY")
    r.read(SERVER_TIMING)
    return ServerTimingConfig(**r.values), r.problems


RUNNING = Running("OBSERVABILITY", parse_server_timing)


def server_timing_enabled() -> bool:
    """Whether responses carry ``Server-Timing`` (SERVER_TIMING, else DEBUG)."""
    enabled = RUNNING.config().enabled
    return bool(settings.DEBUG) if enabled is None else enabled


def server_timing_problems() -> list[Problem]:
    """Problems of ``SERVER_TIMING``."""
    return RUNNING.problems()


# --- Counting -----------------------------------------------------------------------------------


def time_query(execute, sql, params, many, context):
    """Django execute wrapper: the query's duration goes to the current request's timings."""
    timings = timings_var.get()
    if timings is None:
        return execute(sql, params, many, context)
    started = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        timings.add_query(perf_counter() - started)


def timed_cache_method(method):
    """`method` of a cache backend, its duration added to the current request's timings."""
    @functools.wraps(method)
    def timed(self, *args, **kwargs):
        timings = timings_var.get()
        if timings is None or _in_cache_call.get():
            return method(self, *args, **kwargs)
        token = _in_cache_call.set(True)
        started = perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            timings.add_cache(perf_counter() - started)
            _in_cache_call.reset(token)
    return timed


def time_cache_backends() -> None:
    """Wrap the cache methods of every backend class ``CACHES`` names (once per class)."""
    for alias in getattr(settings, "CACHES", {}).values():
        try:
            backend = import_string(alias["BACKEND"])
        except (ImportError, KeyError, TypeError):
            continue  # Django reports a broken CACHES itself
        wrap_cache_methods(backend, timed_cache_method)


def add_query_timer(sender=None, connection=None, **kwargs) -> None:
    """Time `connection`'s queries (once: the signal is sent again when it reconnects)."""
    if time_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(time_query)


_installed = False


def install() -> None:
    """Count queries on every connection and calls to every configured cache, in this process."""
    global _installed
    connection_created.connect(add_query_timer, dispatch_uid=__name__)
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            add_query_timer(connection=connection)
    time_cache_backends()
    if not _installed:
        on_setting_change(["CACHES"], time_cache_backends)  # override_settings(CACHES=...) in tests
        _installed = True
