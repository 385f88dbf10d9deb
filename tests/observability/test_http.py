"""Outgoing calls carry X-Request-ID, and traceparent when a span is active."""

from __future__ import annotations

import asyncio
import threading

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from observability.context import ContextThreadPoolExecutor, get_request_id, in_current_context, request_id_context
from observability.http import httpx_async_client, httpx_client, outgoing_headers, requests_session
from tests.support.http_server import RecordingServer


@pytest.fixture(scope="module")
def server():
    with RecordingServer() as recording:
        yield recording


@pytest.fixture
def tracer():
    return TracerProvider().get_tracer("tests")


def last_headers(server) -> dict[str, str]:
    return server.received[-1].headers


def traceparent_of(span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def test_no_request_no_headers():
    assert outgoing_headers() == {}


def test_httpx_sync(server):
    with request_id_context("out-1"), httpx_client(timeout=5) as client:
        client.get(server.url + "/x")
    assert last_headers(server)["x-request-id"] == "out-1"
    assert "traceparent" not in last_headers(server)


async def test_httpx_async(server):
    async with httpx_async_client(timeout=5) as client:
        with request_id_context("out-async"):
            await client.get(server.url + "/y")
    assert last_headers(server)["x-request-id"] == "out-async"


def test_requests_session(server):
    with request_id_context("out-requests"), requests_session() as session:
        session.post(server.url + "/z", json={"a": 1}, timeout=5)
    assert last_headers(server)["x-request-id"] == "out-requests"
    assert server.received[-1].body == b'{"a": 1}'


def test_caller_headers_win(server):
    with request_id_context("out-2"), httpx_client(timeout=5, headers={"X-Request-ID": "explicit"}) as client:
        client.get(server.url + "/x")
    assert last_headers(server)["x-request-id"] == "explicit"


def test_user_hooks_still_run(server):
    seen = []
    with request_id_context("out-3"), httpx_client(timeout=5, event_hooks={"request": [seen.append]}) as client:
        client.get(server.url + "/x")
    assert len(seen) == 1 and last_headers(server)["x-request-id"] == "out-3"


def test_traceparent_of_the_current_span(server, tracer):
    with request_id_context("out-4"), tracer.start_as_current_span("call") as span, httpx_client(timeout=5) as client:
        client.get(server.url + "/x")
    assert last_headers(server)["traceparent"] == traceparent_of(span)
    with tracer.start_as_current_span("call") as span, requests_session() as session:
        session.get(server.url + "/x", timeout=5)
    assert last_headers(server)["traceparent"] == traceparent_of(span)


def test_configured_header_name(server, settings):
    settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "X-Correlation-ID"}
    with request_id_context("out-5"), httpx_client(timeout=5) as client:
        client.get(server.url + "/x")
    assert last_headers(server)["x-correlation-id"] == "out-5"
    assert "x-request-id" not in last_headers(server)


class TestContextHelpers:
    def test_request_id_context_generates_and_restores(self):
        with request_id_context() as generated:
            assert get_request_id() == generated
            with request_id_context("nested"):
                assert get_request_id() == "nested"
            assert get_request_id() == generated
        assert get_request_id() is None

    def test_plain_threads_do_not_inherit_but_wrapped_callables_do(self):
        seen = {}
        with request_id_context("parent-1"):
            plain = threading.Thread(target=lambda: seen.setdefault("plain", get_request_id()))
            wrapped = threading.Thread(target=in_current_context(lambda: seen.setdefault("wrapped", get_request_id())))
        plain.start(), wrapped.start()
        plain.join(), wrapped.join()
        assert seen == {"plain": None, "wrapped": "parent-1"}

    def test_context_thread_pool(self, tracer):
        with ContextThreadPoolExecutor(max_workers=2) as pool:
            with request_id_context("pool-1"), tracer.start_as_current_span("parent") as span:
                futures = [pool.submit(lambda: (get_request_id(), trace.get_current_span())) for _ in range(4)]
            with request_id_context("pool-2"):
                later = pool.submit(get_request_id)
            results = [future.result() for future in futures]
        assert results == [("pool-1", span)] * 4
        assert later.result() == "pool-2"

    async def test_asyncio_tasks_inherit(self):
        with request_id_context("task-parent"):
            task = asyncio.create_task(asyncio.sleep(0, result=None))
            child = asyncio.create_task(self._read())
        await task
        assert await child == "task-parent"

    async def _read(self):
        return get_request_id()
