"""Database and cache spans: SQLite (the test database), PostgreSQL and Redis, in-process."""

from __future__ import annotations

import sys
import uuid

import environ
import pytest
from django.core.cache import caches
from django.db.utils import ConnectionHandler
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.tracing import datastores, setup
from observability.tracing.configuration import TracingConfig
from tests.observability.tracing.urls import SECRET_VALUE

pytestmark = pytest.mark.urls("tests.observability.tracing.urls")


def client_spans(exporter) -> list:
    return [span for span in exporter.get_finished_spans() if span.kind == trace.SpanKind.CLIENT]


def assert_no_secret(spans) -> None:
    for span in spans:
        assert SECRET_VALUE not in repr(dict(span.attributes)) + span.name


@pytest.mark.django_db
def test_each_query_of_a_request_is_a_child_span_with_its_statement(client, span_exporter):
    assert client.get("/anatomy/").json() == {"cached": True}
    server = next(span for span in span_exporter.get_finished_spans() if span.kind == trace.SpanKind.SERVER)
    queries = [span for span in client_spans(span_exporter) if span.attributes.get("db.system") == "sqlite"]
    assert [span.name for span in queries] == ["SELECT"] * 3
    assert {span.attributes["db.statement"] for span in queries} == {"SELECT %s"}
    assert all(span.parent.span_id == server.context.span_id for span in queries)
    assert_no_secret(span_exporter.get_finished_spans())


@pytest.fixture
def traced(global_tracer_provider, settings):
    """``traced(**config)``: the project's instrumentation with `config`; its exporter."""
    installed = []

    def install(**config):
        exporter = InMemorySpanExporter()
        tracing = TracingConfig(enabled=True, exporter_type="console", endpoint=None, **config)
        provider = setup.build_provider(tracing, SimpleSpanProcessor(exporter))
        global_tracer_provider(provider)
        assert setup.instrument_django(provider, tracing)
        installed.append(provider)
        return exporter, provider.get_tracer("tests")

    # An override of its own, which the instrumentation's direct edits land in and leave with.
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)
    yield install
    for provider in installed:
        setup.uninstrument_django()
        provider.shutdown()


@pytest.mark.django_db
def test_statements_can_be_left_out(client, traced):
    exporter, _ = traced(db_statements=False)
    client.get("/anatomy/")
    queries = [span for span in client_spans(exporter) if span.attributes.get("db.system") == "sqlite"]
    assert len(queries) == 3
    assert all("db.statement" not in span.attributes for span in queries)


@pytest.mark.django_db
def test_an_unsampled_request_makes_no_query_span(client, traced):
    exporter, _ = traced(sample_rate=0.0)
    response = client.get("/anatomy/")
    assert response.status_code == 200 and "traceresponse" in response
    assert exporter.get_finished_spans() == ()


@pytest.mark.django_db
def test_queries_outside_a_recording_span_make_no_span(traced):
    exporter, _ = traced()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert exporter.get_finished_spans() == ()


def test_postgresql_queries_are_spans_without_their_parameters(traced, postgres_url, django_db_blocker):
    exporter, tracer = traced()
    handler = ConnectionHandler({"default": environ.Env.db_url_config(postgres_url)})
    connection = handler["default"]
    try:
        with django_db_blocker.unblock(), tracer.start_as_current_span("request"), connection.cursor() as cursor:
            cursor.execute("SELECT %s, %s", [SECRET_VALUE, 42])
            assert cursor.fetchone() == (SECRET_VALUE, 42)
    finally:
        connection.close()
    (query,) = client_spans(exporter)
    assert query.name == "SELECT"
    assert query.attributes["db.system"] == "postgresql"
    assert query.attributes["db.statement"] == "SELECT %s, %s"
    assert query.attributes["db.name"] == connection.settings_dict["NAME"]
    assert query.attributes["net.peer.name"] == "127.0.0.1"
    assert_no_secret([query])


def test_a_failed_query_is_an_error_span(traced, postgres_url, django_db_blocker):
    exporter, tracer = traced()
    connection = ConnectionHandler({"default": environ.Env.db_url_config(postgres_url)})["default"]
    try:
        with (django_db_blocker.unblock(), tracer.start_as_current_span("request"), connection.cursor() as cursor,
              pytest.raises(Exception, match="no_such_table")):
            cursor.execute("SELECT * FROM no_such_table_here")
    finally:
        connection.close()
    (query,) = client_spans(exporter)
    assert query.status.status_code == trace.StatusCode.ERROR


def test_each_redis_cache_command_is_a_span(traced, redis_url, settings):
    exporter, tracer = traced()
    settings.CACHES = {**settings.CACHES, "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
        "KEY_PREFIX": f"anatomy-{uuid.uuid4().hex}"}}
    cache = caches["redis"]
    try:
        with tracer.start_as_current_span("request"):
            cache.set("key", SECRET_VALUE, 30)
            assert cache.get("key") == SECRET_VALUE
        cache.get("key")  # outside a recording span: no span
    finally:
        cache.delete("key")
        cache.close()
    commands = client_spans(exporter)
    assert [span.name for span in commands] == ["SET", "GET"]
    assert all(span.attributes["db.system"] == "redis" for span in commands)
    assert [span.attributes["db.statement"] for span in commands] == ["SET ? ? ? ?", "GET ?"]
    assert_no_secret(commands)


def test_uninstrument_removes_the_query_tracers(traced, django_db_blocker):
    traced()
    from django.db import connection

    with django_db_blocker.unblock():
        connection.ensure_connection()
        assert any(isinstance(w, datastores.QueryTracer) for w in connection.execute_wrappers)
        setup.uninstrument_django()
        assert not any(isinstance(w, datastores.QueryTracer) for w in connection.execute_wrappers)
        setup.instrument_django(trace.get_tracer_provider(), TracingConfig(enabled=True))


@pytest.mark.django_db
def test_without_the_redis_extra_queries_are_spans_and_redis_is_left_alone(traced, monkeypatch):
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.redis", None)  # as if the extra were missing
    exporter, tracer = traced()
    from django.db import connection

    with tracer.start_as_current_span("request"), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert [span.name for span in client_spans(exporter)] == ["SELECT"]
    assert not RedisInstrumentor().is_instrumented_by_opentelemetry
    setup.uninstrument_django()  # without the extra too
    setup.instrument_django(trace.get_tracer_provider(), TracingConfig(enabled=True))
