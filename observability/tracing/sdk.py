"""The OpenTelemetry internals this app relies on, all of them here and nowhere else.

Each has no public equivalent in the pinned SDK (1.45) and instrumentation (0.66b); each is
pinned down by a test in ``tests/observability/test_sdk_internals.py`` that fails, naming the
attribute, when an upgrade changes it.

- ``TracerProvider._disabled``: the provider reads ``OTEL_SDK_DISABLED`` by itself when it is
  built; ``TRACING_ENABLED`` decides here, so it is cleared.
- ``DjangoInstrumentor._opentelemetry_middleware``: the dotted path the instrumentor puts in
  ``MIDDLEWARE``, which ``TracingMiddleware`` takes the place of.
- ``_DjangoMiddleware`` and its ``_excluded_urls``: the official middleware, which
  ``TracingMiddleware`` extends with exclusions matched from the path's start.
- ``trace._TRACER_PROVIDER`` and ``_TRACER_PROVIDER_SET_ONCE``: the API lets a process set the
  global provider only once; tests and benchmarks swap it for a provider of their own and put
  the old one back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
from opentelemetry.util._once import Once

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

OfficialDjangoMiddleware = _DjangoMiddleware
"""OpenTelemetry's Django middleware class, which ``DjangoInstrumentor`` configures."""

EXCLUDED_URLS_ATTRIBUTE = "_excluded_urls"
"""The official middleware's class attribute holding its exclusion list."""


def enable(provider: TracerProvider) -> TracerProvider:
    """`provider`, recording whatever ``OTEL_SDK_DISABLED`` said when it was built."""
    provider._disabled = False
    return provider


def official_middleware_path(instrumentor: DjangoInstrumentor | None = None) -> str:
    """The dotted path the Django instrumentor inserts at the start of ``MIDDLEWARE``."""
    return (instrumentor or DjangoInstrumentor())._opentelemetry_middleware


def swap_global_tracer_provider(provider: object) -> object:
    """Make `provider` the global tracer provider and return the one it replaces (tests, benchmarks)."""
    previous = trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER = provider
    return previous


@contextmanager
def own_global_tracer_provider() -> Iterator[None]:
    """A block in which no global tracer provider is set yet (so ``set_tracer_provider()`` works once
    more) and providers may be swapped in; the process's own comes back afterwards (tests, benchmarks)."""
    saved = trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE
    trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = None, Once()
    try:
        yield
    finally:
        trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = saved
