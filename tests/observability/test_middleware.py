"""RequestIDMiddleware: sync and async, every response kind, hostile input, context lifetime."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpResponse
from django.test import AsyncClient, Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observability.context import get_request_id, request_id_context
from observability.middleware import RequestIDMiddleware
from observability.request_id import is_valid_request_id
from tests.observability.test_request_id import HOSTILE

pytestmark = pytest.mark.urls("tests.observability.urls")


@pytest.fixture(autouse=True)
def responses_may_close_connections(django_db_blocker):
    """Let ``response.close()`` run ``close_old_connections`` after an earlier ``django_db`` test.

    Closing a response sends ``request_finished``, whose ``close_old_connections`` checks the
    connection such a test left open; pytest-django refuses that in a test without the database.
    """
    with django_db_blocker.unblock():
        yield


RESPONSE_KINDS = [
    ("get", "/ok", 200),
    ("get", "/api/test/ok", 200),
    ("get", "/redirect", 302),
    ("get", "/slash", 301),  # CommonMiddleware's APPEND_SLASH answers before any view
    ("get", "/no/such/page", 404),
    ("get", "/missing", 404),
    ("get", "/api/test/missing", 404),
    ("post", "/api/test/ok", 400),
    ("get", "/api/test/auth", 401),
    ("get", "/api/test/forbidden", 403),
    ("get", "/api/test/throttled", 429),
    ("get", "/boom", 500),
    ("get", "/api/test/boom", 500),
    ("get", "/health", 200),
    ("delete", "/health", 405),
]


def send(client, method: str, path: str, **headers):
    """A request of `method`; POSTs carry an invalid JSON body, so DRF answers 400."""
    if method == "post":
        return client.post(path, {"name": "far too long a name"}, content_type="application/json", **headers)
    return getattr(client, method)(path, **headers)


@pytest.fixture
def quiet_client():
    """A client that returns 500 responses instead of raising, as a server would."""
    return Client(raise_request_exception=False)


def view_seeing_id(request):
    return HttpResponse(get_request_id())


async def async_view_seeing_id(request):
    return HttpResponse(get_request_id())


class TestModes:
    def test_sync_mode(self, rf):
        middleware = RequestIDMiddleware(view_seeing_id)
        assert not iscoroutinefunction(middleware)
        response = middleware(rf.get("/", HTTP_X_REQUEST_ID="sync-1"))
        assert response["X-Request-ID"] == "sync-1"
        assert response.content == b"sync-1"
        assert get_request_id() == "sync-1"  # until the server closes the response
        response.close()
        assert get_request_id() is None

    async def test_async_mode(self, async_rf):
        middleware = RequestIDMiddleware(async_view_seeing_id)
        assert iscoroutinefunction(middleware)
        response = await middleware(async_rf.get("/", headers={"X-Request-ID": "async-1"}))
        assert response["X-Request-ID"] == "async-1"
        assert response.content == b"async-1"

    def test_request_attribute(self, rf):
        request = rf.get("/", HTTP_X_REQUEST_ID="attr-1")
        RequestIDMiddleware(view_seeing_id)(request).close()
        assert request.request_id == "attr-1"


class TestEveryResponseKind:
    @pytest.mark.parametrize(("method", "path", "status"), RESPONSE_KINDS)
    def test_caller_id_comes_back(self, quiet_client, method, path, status):
        response = send(quiet_client, method, path, HTTP_X_REQUEST_ID="trace-test-456")
        assert response.status_code == status
        assert response["X-Request-ID"] == "trace-test-456"

    @pytest.mark.parametrize(("method", "path", "status"), RESPONSE_KINDS)
    def test_generated_id_without_one(self, quiet_client, method, path, status):
        response = send(quiet_client, method, path)
        assert response.status_code == status
        assert uuid.UUID(response["X-Request-ID"]).version == 4

    async def test_async_client(self):
        client = AsyncClient(raise_request_exception=False)
        for _method, path, status in (kind for kind in RESPONSE_KINDS if kind[0] == "get"):
            response = await client.get(path, headers={"X-Request-ID": "async-kind"})
            assert (response.status_code, response["X-Request-ID"]) == (status, "async-kind"), path

    def test_response_of_another_middleware(self, quiet_client, settings):
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.observability.test_middleware.ShortCircuit"]
        response = quiet_client.get("/ok", HTTP_X_REQUEST_ID="early-1")
        assert (response.status_code, response["X-Request-ID"]) == (503, "early-1")

    def test_one_header_even_when_the_view_set_one(self, quiet_client):
        response = quiet_client.get("/own-header", HTTP_X_REQUEST_ID="ours-1")
        assert response.headers["X-Request-ID"] == "ours-1"

    def test_cors_headers_are_left_alone(self, quiet_client):
        response = quiet_client.get("/cors", HTTP_X_REQUEST_ID="cors-1", HTTP_ORIGIN="https://a.example")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Expose-Headers" not in response


class ShortCircuit:
    """A middleware answering before the view, as rate limiters and maintenance pages do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return HttpResponse("maintenance", status=503)


class TestHostileInput:
    @pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
    def test_replaced_never_echoed_never_logged(self, quiet_client, context_caplog, value):
        response = quiet_client.get("/api/test/ok", HTTP_X_REQUEST_ID=value)
        assert response.status_code == 200
        assert is_valid_request_id(response["X-Request-ID"])
        assert response["X-Request-ID"] != value
        if len(value) >= 4:
            logged = "\n".join(f"{r.getMessage()} {r.args} {r.__dict__}" for r in context_caplog.records)
            assert value not in logged
        assert any(r.getMessage().startswith("Replaced an invalid X-Request-ID header") for r in context_caplog.records)

    @settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.one_of(st.text(), st.binary().map(lambda raw: raw.decode("latin-1"))))
    def test_any_header_value_gives_a_valid_id(self, rf, value):
        # WSGI servers hand header bytes to Django decoded as latin-1: binary covers them.
        response = RequestIDMiddleware(view_seeing_id)(rf.get("/", HTTP_X_REQUEST_ID=value))
        response.close()  # as the server would: the ID ends with the response
        assert get_request_id() is None
        assert is_valid_request_id(response["X-Request-ID"])
        assert (response["X-Request-ID"] == value) is is_valid_request_id(value)
        assert response.content.decode() == response["X-Request-ID"]


class TestContextLifetime:
    def test_id_is_available_to_the_view_and_gone_after_the_response(self, quiet_client):
        assert get_request_id() is None
        response = quiet_client.get("/api/test/ok", HTTP_X_REQUEST_ID="life-1")
        assert response["X-Request-ID"] == "life-1"
        assert get_request_id() is None

    def test_a_request_after_a_request_in_the_same_thread_gets_a_new_id(self, quiet_client):
        first = quiet_client.get("/ok")["X-Request-ID"]
        second = quiet_client.get("/ok")["X-Request-ID"]
        assert first != second
        assert get_request_id() is None

    def test_id_lasts_while_the_response_streams(self, quiet_client, context_caplog):
        response = quiet_client.get("/stream", HTTP_X_REQUEST_ID="stream-1")
        assert b"".join(response.streaming_content) == b"chunk 0\nchunk 1\nchunk 2\n"
        chunks = [(r.getMessage(), r.request_id) for r in context_caplog.records if r.name == "tests.views"]
        assert chunks == [(f"streaming chunk {n}", "stream-1") for n in range(3)]
        response.close()
        assert get_request_id() is None

    def test_id_lasts_while_django_logs_the_response(self, quiet_client, context_caplog):
        quiet_client.get("/no/such/page", HTTP_X_REQUEST_ID="logged-404")
        warnings = [(r.getMessage(), r.request_id) for r in context_caplog.records if r.name == "django.request"]
        assert warnings == [("Not Found: /no/such/page", "logged-404")]

    def test_an_outer_context_is_restored(self, quiet_client):
        with request_id_context("outer-1"):
            assert quiet_client.get("/ok", HTTP_X_REQUEST_ID="inner-1")["X-Request-ID"] == "inner-1"
            assert get_request_id() == "outer-1"

    async def test_two_concurrent_async_requests_keep_their_own_ids(self):
        client = AsyncClient()
        slow, fast = await asyncio.gather(
            client.get("/concurrent?sleep=0.2", headers={"X-Request-ID": "slow-1"}),
            client.get("/concurrent?sleep=0.01", headers={"X-Request-ID": "fast-1"}),
        )
        assert slow.json() == {"context": "slow-1", "attribute": "slow-1"}
        assert fast.json() == {"context": "fast-1", "attribute": "fast-1"}

    async def test_many_concurrent_async_requests_with_generated_ids(self):
        client = AsyncClient()
        responses = await asyncio.gather(*(client.get("/concurrent?sleep=0.02") for _ in range(20)))
        ids = [response["X-Request-ID"] for response in responses]
        assert len(set(ids)) == 20
        assert [response.json()["context"] for response in responses] == ids


class TestConfiguration:
    def test_trust_incoming_off_always_generates(self, quiet_client, settings):
        settings.OBSERVABILITY = {"REQUEST_ID_TRUST_INCOMING": "false"}
        response = quiet_client.get("/ok", HTTP_X_REQUEST_ID="caller-1")
        assert response["X-Request-ID"] != "caller-1"
        assert uuid.UUID(response["X-Request-ID"])

    def test_custom_header(self, quiet_client, settings):
        settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "X-Correlation-ID"}
        response = quiet_client.get("/ok", HTTP_X_CORRELATION_ID="corr-1", HTTP_X_REQUEST_ID="ignored")
        assert response["X-Correlation-ID"] == "corr-1"
        assert "X-Request-ID" not in response

    def test_custom_generator(self, quiet_client, settings):
        settings.OBSERVABILITY = {"REQUEST_ID_GENERATOR": "tests.observability.test_middleware.sequential_id"}
        response = quiet_client.get("/ok")
        assert response["X-Request-ID"].startswith("seq-")


def sequential_id() -> str:
    sequential_id.count = getattr(sequential_id, "count", 0) + 1
    return f"seq-{sequential_id.count}"


class TestSpanAttribute:
    def test_generated_and_replaced_ids_tag_the_server_span(self, client, span_exporter):
        generated = client.get("/api/test/ok")["X-Request-ID"]
        replaced = client.get("/api/test/ok", HTTP_X_REQUEST_ID="bad value")["X-Request-ID"]
        tagged = [span.attributes.get("request.id") for span in span_exporter.get_finished_spans()]
        assert tagged == [generated, replaced]

    def test_without_a_tracer_provider_no_span_is_looked_up(self, rf, monkeypatch):
        middleware = RequestIDMiddleware(view_seeing_id)
        assert middleware.tag_spans is False
        monkeypatch.setattr("opentelemetry.trace.get_current_span", lambda: pytest.fail("looked up a span"))
        middleware(rf.get("/")).close()
