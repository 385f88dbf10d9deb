"""Outgoing HTTP that joins the current request: ``X-Request-ID``, and ``traceparent`` with tracing on.

``httpx_client()`` / ``httpx_async_client()`` / ``requests_session()`` build clients that add
the headers to every call made while a request (or a ``request_id_context()``) is running.
httpx and requests are imported only when asked for, so neither is required by the app.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate

from observability.context import get_request_id
from observability.request_id import get_request_id_config

if TYPE_CHECKING:
    import httpx
    import requests

__all__ = [
    "add_outgoing_headers", "add_outgoing_headers_async", "httpx_async_client", "httpx_client", "outgoing_headers",
    "requests_session",
]


def outgoing_headers() -> dict[str, str]:
    """Headers that let the next service join this request's ID and trace."""
    headers: dict[str, str] = {}
    request_id = get_request_id()
    if request_id is not None:
        headers[get_request_id_config().header] = request_id
    # W3C traceparent of the current span; nothing when tracing is off or no span is active.
    # An instrumented client later replaces it with its own client span's context.
    propagate.inject(headers)
    return headers


def add_outgoing_headers(request: Any) -> None:
    """Hook for httpx (and anything with a ``headers`` mapping): add what the caller did not set."""
    for name, value in outgoing_headers().items():
        if name not in request.headers:
            request.headers[name] = value


async def add_outgoing_headers_async(request: Any) -> None:
    """The same hook for ``httpx.AsyncClient``, which awaits its hooks."""
    add_outgoing_headers(request)


def _with_hook(kwargs: dict, hook) -> dict:
    hooks = dict(kwargs.pop("event_hooks", None) or {})
    hooks["request"] = [hook, *hooks.get("request", [])]
    return {**kwargs, "event_hooks": hooks}


def httpx_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` (same arguments) whose requests carry the ID and trace headers."""
    import httpx

    return httpx.Client(**_with_hook(kwargs, add_outgoing_headers))


def httpx_async_client(**kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` (same arguments) whose requests carry the ID and trace headers."""
    import httpx

    return httpx.AsyncClient(**_with_hook(kwargs, add_outgoing_headers_async))


def requests_session() -> requests.Session:
    """A ``requests.Session`` whose requests carry the ID and trace headers."""
    import requests

    session = requests.Session()
    adapter = _request_id_adapter_class()()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@functools.cache
def _request_id_adapter_class() -> type:
    from requests.adapters import HTTPAdapter

    class RequestIDAdapter(HTTPAdapter):
        """Adds the outgoing headers in ``add_headers``, requests' hook for exactly this."""

        def add_headers(self, request, **kwargs) -> None:
            add_outgoing_headers(request)

    return RequestIDAdapter
