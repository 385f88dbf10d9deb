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

from observability.http import httpx_client

_clients: dict[tuple[int, int], httpx.Client] = {}
_lock = threading.Lock()


def build_client() -> httpx.Client:
    """A new instrumented client; timeouts are given per call."""
    client = httpx_client(follow_redirects=False)
    HTTPXClientInstrumentor.instrument_client(client)
    return client


def get_client() -> httpx.Client:
    """This process's client for the current tracer provider, built on first use.

    Keyed on the process so a forked gunicorn worker never shares its parent's sockets, and on
    the tracer provider so spans go wherever tracing was set up after the client was built.
    """
    key = (os.getpid(), id(trace.get_tracer_provider()))
    client = _clients.get(key)
    if client is None:
        with _lock:
            if key[0] not in {pid for pid, _ in _clients}:
                _clients.clear()  # a parent's clients: their sockets belong to the parent
            client = _clients.get(key) or _clients.setdefault(key, build_client())
    return client
