"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support.processes import project_env, run_manage
from tests.support.services import service_url


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
    """URL of the real Redis server (TEST_REDIS_URL)."""
    return service_url("TEST_REDIS_URL")


@pytest.fixture
def span_exporter():
    """Spans of requests made during the test, in an SDK ``InMemorySpanExporter``.

    A real provider (resource, parent-based sampler at 1.0) and the project's Django
    instrumentation (excluded paths, traceresponse), installed for the test only: MIDDLEWARE,
    the instrumentation's class state and the response propagator are restored afterwards.
    The provider is also the global one for the test (RequestIDMiddleware tags spans only when a
    provider is installed); the API allows setting that once per process, so this swaps it in
    and out directly.
    """
    from django.conf import settings
    from opentelemetry import trace
    from opentelemetry.instrumentation import propagators
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from observability import tracing
    from observability.conf import TracingConfig

    middleware, middleware_items = settings.MIDDLEWARE, list(settings.MIDDLEWARE)
    class_state = dict(vars(_DjangoMiddleware))
    response_propagator = propagators.get_global_response_propagator()
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=1.0,
                           service_name="chimera-tests", excluded_urls=("/health", "/health/ready"))
    provider = tracing.build_provider(config, SimpleSpanProcessor(exporter))
    assert tracing.instrument_django(provider, config), "Django was instrumented already"
    global_provider, trace._TRACER_PROVIDER = trace._TRACER_PROVIDER, provider
    try:
        yield exporter
    finally:
        trace._TRACER_PROVIDER = global_provider
        tracing.uninstrument_django()
        provider.shutdown()
        middleware[:] = middleware_items  # the instrumentation edits the list in place
        settings.MIDDLEWARE = middleware
        for name, value in class_state.items():
            if not name.startswith("__"):
                setattr(_DjangoMiddleware, name, value)
        propagators.set_global_response_propagator(response_propagator)
