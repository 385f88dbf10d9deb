"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support.processes import project_env, run_manage
from tests.support.services import redis_database_url, service_url


@pytest.fixture(autouse=True)
def fresh_cache():
    """An empty default cache for every test: throttles and failed-authentication counts start at zero."""
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture(autouse=True)
def database_writers_only_where_recorded(request, monkeypatch):
    """The fleet's history and the request journal are written only in tests that ask for them
    (`recorded_history`, `recorded_journal`).

    Each is written by a thread of the process's own, after the run or the response. Left on
    everywhere, it would write to whatever database a later test has open, or trip over
    pytest-django's guard; with the in-memory SQLite database, a commit refused there and then a
    failed rollback leave that thread's connection in a transaction for good (closing an
    in-memory connection is a no-op), and every later write fails "table is locked".
    """
    from healthdash.history import observer
    from observability.journal.writer import writer

    for fixture, queue in (("recorded_history", observer), ("recorded_journal", writer)):
        if fixture not in request.fixturenames:
            monkeypatch.setattr(queue, "submit", lambda item: None)


@pytest.fixture
def recorded_history():
    """The process's history observer, recording the runs of this test; waited for at the end."""
    from healthdash.history import observer

    yield observer
    observer.wait(10)


@pytest.fixture
def recorded_journal():
    """The process's journal writer, writing the entries of this test; every entry written by the end."""
    from observability.journal.writer import writer

    yield writer
    assert writer.wait(5), "the journal's writer did not finish within 5 s"


@pytest.fixture(autouse=True)
def no_heartbeat_left():
    """A test that served requests the way a real server does (a WSGI app called with SERVER_SOFTWARE) started this
    process's heartbeat: stop it, so it does not write to another test's database."""
    from healthdash.heartbeat import heartbeat

    yield
    if heartbeat.running:
        heartbeat.stop()


@pytest.fixture(scope="session")
def migrated_db_url(tmp_path_factory) -> str:
    """A migrated SQLite database file for subprocesses (gunicorn, manage.py), made once."""
    path = tmp_path_factory.mktemp("db") / "db.sqlite3"
    url = f"sqlite:///{path}"
    result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=url), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server (TEST_POSTGRES_URL)."""
    return service_url("TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server (TEST_REDIS_URL), on a database of this xdist worker's own."""
    return redis_database_url(service_url("TEST_REDIS_URL"))


@pytest.fixture
def use_api_keys(settings):
    """``use_api_keys(*keys)``: the keys accepted for this test, where settings.py forwards them."""
    def use(*keys: str) -> None:
        settings.CHIMERA_API_KEYS = list(keys)
        settings.OBSERVABILITY = {**settings.OBSERVABILITY, "API_KEYS": list(keys)}
    return use


@pytest.fixture
def global_tracer_provider():
    """``install(provider)`` makes `provider` the global tracer provider for this test only.

    The API lets a process set that provider once; inside this fixture none is set at first (so
    ``setup_tracing()`` may install its own), and the process's own comes back afterwards.
    """
    from observability.tracing import sdk

    with sdk.own_global_tracer_provider():
        yield sdk.swap_global_tracer_provider


@pytest.fixture
def span_exporter(global_tracer_provider):
    """Spans of requests made during the test, in an SDK ``InMemorySpanExporter``.

    A real provider (resource, parent-based sampler at 1.0) and the project's Django
    instrumentation (excluded paths, traceresponse, database and cache spans), installed for the
    test only: MIDDLEWARE, the instrumentation and the response propagator are restored afterwards.
    The provider is also the global one for the test (RequestIDMiddleware tags spans only when a
    provider is installed).
    """
    from django.conf import settings
    from opentelemetry.instrumentation import propagators
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from observability.tracing import setup
    from observability.tracing.configuration import TracingConfig

    middleware, middleware_items = settings.MIDDLEWARE, list(settings.MIDDLEWARE)
    response_propagator = propagators.get_global_response_propagator()
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0,
                           service_name="chimera-tests", excluded_urls=("/health", "/health/ready"))
    provider = setup.build_provider(config, SimpleSpanProcessor(exporter))
    assert setup.instrument_django(provider, config), "Django was instrumented already"
    global_tracer_provider(provider)
    try:
        yield exporter
    finally:
        setup.uninstrument_django()
        provider.shutdown()
        middleware[:] = middleware_items  # the instrumentation edits the list in place
        settings.MIDDLEWARE = middleware
        propagators.set_global_response_propagator(response_propagator)
