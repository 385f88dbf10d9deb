"""The HTTP client for provider calls: pooled per process, traced, carrying the request's ID.

``observability.http.httpx_client`` adds ``X-Request-ID`` to every call. The client is
instrumented on its own (never httpx globally at import), so each call is a client span under
the current server span, and ``traceparent`` names that client span when tracing is on.
"""

from __future__ import annotations

import os
import threading

import httpx
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from chimera.llm.deadline import DeadlineTransport
from observability.http import httpx_client

__all__ = ["build_client", "get_client"]

_current: tuple[int, object, httpx.Client] | None = None  # (pid, tracer provider, client)
_lock = threading.Lock()


def build_client() -> httpx.Client:
    """A new client, instrumented when a tracer provider is installed; timeouts are given per call.

    Its connections honour the deadline of the call under way (``chimera.llm.deadline``).

    Without one (tracing off) every span would be a no-op, yet the instrumentation would still
    cost about a third of a local round trip per call (bench/provider_client.py): leave it out.
    """
    client = httpx_client(follow_redirects=False, transport=DeadlineTransport())
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        HTTPXClientInstrumentor.instrument_client(client)
    return client


def get_client() -> httpx.Client:
    """This process's client for the current tracer provider, built on first use.

    Rebuilt in a forked gunicorn worker, which must not share its parent's sockets, and when
    another tracer provider is installed (tracing set up later, tests), so spans go to it.
    A parent's client is dropped, not closed: its connections belong to the parent.
    """
    global _current
    pid, provider = os.getpid(), trace.get_tracer_provider()
    current = _current
    if current is None or current[0] != pid or current[1] is not provider:
        with _lock:
            current = _current
            if current is None or current[0] != pid or current[1] is not provider:
                current = _current = (pid, provider, build_client())
    return current[2]
