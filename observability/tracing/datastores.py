"""Client spans of the database and cache layers: one per SQL query, one per Redis command.

SQL queries are caught by Django's own hook, ``connection.execute_wrappers``, on every
connection of every backend (installed when a connection opens), and described by
OpenTelemetry's DB-API instrumentation (``CursorTracer``: span named after the operation,
``db.system``, ``db.name``, ``db.statement`` with its placeholders, never the parameters).
Redis commands are OpenTelemetry's Redis instrumentation (the ``redis`` extra), which wraps
redis-py's client, the one Django's ``RedisCache`` uses. Both make spans only under a recording span: a query in an
unsampled request, a management command or a task without a trace costs one look-up.
"""

from __future__ import annotations

from contextlib import nullcontext
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.db import connections
from django.db.backends.signals import connection_created
from opentelemetry import trace
from opentelemetry.instrumentation.dbapi import CursorTracer, DatabaseApiIntegration

from observability import extras

if TYPE_CHECKING:
    from observability.tracing.configuration import TracingConfig

__all__ = [
    "ChildTracer", "ChildTracerProvider", "QueryTracer", "StatementlessCursorTracer", "add_query_tracer",
    "instrument", "uninstrument",
]

# Django's vendor names and OpenTelemetry's db.system values differ only for these.
DB_SYSTEMS = {"microsoft": "mssql"}


class ChildTracer(trace.Tracer):
    """A tracer that starts spans only under a recording span, and otherwise returns the invalid one."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def start_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).is_recording():
            return trace.INVALID_SPAN
        return self.tracer.start_span(name, context, *args, **kwargs)

    def start_as_current_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).is_recording():
            return nullcontext(trace.INVALID_SPAN)
        return self.tracer.start_as_current_span(name, context, *args, **kwargs)


class ChildTracerProvider(trace.TracerProvider):
    """Hands out ``ChildTracer``s of `provider`, for instrumentations that take a provider."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self.provider = provider

    def get_tracer(self, *args, **kwargs) -> trace.Tracer:
        return ChildTracer(self.provider.get_tracer(*args, **kwargs))


class StatementlessCursorTracer(CursorTracer):
    """Spans without ``db.statement`` (``TRACING_DB_STATEMENTS=false``)."""

    def get_statement(self, cursor, args):
        return None


class QueryTracer:
    """Django execute wrapper: a client span for each query run under a recording span."""

    def __init__(self, connection, provider: trace.TracerProvider, statements: bool) -> None:
        from opentelemetry.instrumentation.dbapi.version import __version__

        settings = connection.settings_dict
        integration = DatabaseApiIntegration("opentelemetry.instrumentation.dbapi",
                                             DB_SYSTEMS.get(connection.vendor, connection.vendor),
                                             version=__version__, tracer_provider=provider)
        port = str(settings.get("PORT") or "")
        # Never the password: only these four are read.
        integration.get_connection_attributes(SimpleNamespace(
            database=str(settings.get("NAME") or ""), host=settings.get("HOST") or None,
            port=int(port) if port.isdigit() else None, user=settings.get("USER") or None))
        self.cursor_tracer = (CursorTracer if statements else StatementlessCursorTracer)(integration)

    def __call__(self, execute, sql, params, many, context):
        if not trace.get_current_span().is_recording():
            return execute(sql, params, many, context)
        return self.cursor_tracer.traced_execution(context["cursor"], execute, sql, params, many, context)


class _Installed:
    provider: trace.TracerProvider | None = None
    statements = True


def instrument(provider: trace.TracerProvider, config: TracingConfig) -> None:
    """Spans for the queries of every database connection and, with the redis extra, the commands of every Redis client.

    Without the extra there is no Redis client to trace, unless CACHES names a Redis cache, which
    the configuration's problems report (``observability.extras``) before tracing is set up.
    """
    _Installed.provider, _Installed.statements = provider, config.db_statements
    connection_created.connect(add_query_tracer, dispatch_uid=__name__)
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:  # opened before: connection_created has been sent
            add_query_tracer(connection=connection)
    if not extras.installed("redis"):
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    redis = RedisInstrumentor()
    if not redis.is_instrumented_by_opentelemetry:
        redis.instrument(tracer_provider=ChildTracerProvider(provider))


def uninstrument() -> None:
    """Undo instrument()."""
    connection_created.disconnect(dispatch_uid=__name__)
    for connection in connections.all(initialized_only=True):
        connection.execute_wrappers[:] = [w for w in connection.execute_wrappers if not isinstance(w, QueryTracer)]
    _Installed.provider = None
    if extras.installed("redis"):
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().uninstrument()


def add_query_tracer(sender=None, connection=None, **kwargs) -> None:
    """Give `connection` a QueryTracer (once: the signal is sent again when it reconnects)."""
    if _Installed.provider is not None and not any(isinstance(w, QueryTracer) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(QueryTracer(connection, _Installed.provider, _Installed.statements))
