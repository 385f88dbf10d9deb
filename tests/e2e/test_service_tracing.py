"""A traced generate call under real gunicorn: server span, client span, the provider's traceparent."""

from __future__ import annotations

import pytest

from tests.e2e.test_service import API_KEY, post
from tests.support.chat_server import ChatCompletionsServer
from tests.support.processes import Gunicorn, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def provider():
    with ChatCompletionsServer() as server:
        yield server


@pytest.fixture(scope="module")
def receiver(otlp_http_receiver):
    return otlp_http_receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db_url, provider, receiver):
    env = project_env(
        DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="2", CHIMERA_API_KEYS=API_KEY,
        CHIMERA_PROVIDER_GOOGLE_URL=provider.url("ok"), CHIMERA_PROVIDER_GOOGLE_API_KEY="e2e-google-key",
        TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=receiver.endpoint,
        TRACING_SERVICE_NAME="chimera-e2e", OTEL_BSP_SCHEDULE_DELAY="100",
    )
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-traced")) as gunicorn:
        yield gunicorn


def test_provider_call_is_a_client_span_under_the_server_span(server, provider, receiver):
    status, headers, body = post(server.url + "/api/v1/generate", {"prompt": "traced", "provider": "google"},
                                 {"X-API-Key": API_KEY, "X-Request-ID": "e2e-traced-1"})
    assert status == 200, body
    received = provider.last()
    assert received.headers["x-request-id"] == "e2e-traced-1"
    version, trace_id, client_span_id, flags = received.headers["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1  # sampled
    assert headers["traceresponse"].split("-")[1] == trace_id  # the caller can quote the same trace
    spans = {span.span_id: span for span in receiver.wait_for(2, predicate=lambda s: s.trace_id == trace_id)}
    call = spans[client_span_id]
    server_span = spans[call.parent_id]
    assert server_span.parent_id is None
    assert server_span.attributes["request.id"] == "e2e-traced-1"
    assert call.service_name == server_span.service_name == "chimera-e2e"
