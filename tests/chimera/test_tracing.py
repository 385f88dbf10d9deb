"""With tracing on, a provider call is a client span under the request's server span."""

from __future__ import annotations

import json

from opentelemetry.trace import SpanKind

from tests.chimera.conftest import API_KEY


def traceparent(span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def test_client_span_is_a_child_of_the_server_span(span_exporter, client, remote, chat_server):
    response = client.post("/api/v1/generate", json.dumps({"prompt": "hi", "provider": "google"}),
                           content_type="application/json", HTTP_X_API_KEY=API_KEY, HTTP_X_REQUEST_ID="traced-1")
    assert response.status_code == 200
    finished = span_exporter.get_finished_spans()
    (server,) = [span for span in finished if span.kind is SpanKind.SERVER]
    (call,) = [span for span in finished if span.kind is SpanKind.CLIENT]
    assert call.parent is not None and call.parent.span_id == server.context.span_id
    assert call.context.trace_id == server.context.trace_id
    assert server.attributes["request.id"] == "traced-1"
    assert call.attributes.get("http.request.method", call.attributes.get("http.method")) == "POST"
    received = chat_server.last()
    assert received.headers["traceparent"] == traceparent(call)
    assert received.headers["x-request-id"] == "traced-1"


def test_failed_call_is_a_client_span_with_its_status(span_exporter, client, remote):
    remote("error")
    response = client.post("/api/v1/generate", json.dumps({"prompt": "hi", "provider": "google"}),
                           content_type="application/json", HTTP_X_API_KEY=API_KEY)
    assert response.status_code == 502
    (call,) = [span for span in span_exporter.get_finished_spans() if span.kind is SpanKind.CLIENT]
    assert call.attributes.get("http.response.status_code", call.attributes.get("http.status_code")) == 500


def test_without_tracing_no_traceparent_goes_out(client, remote, chat_server):
    client.post("/api/v1/generate", json.dumps({"prompt": "hi", "provider": "google"}),
                content_type="application/json", HTTP_X_API_KEY=API_KEY, HTTP_X_REQUEST_ID="untraced-1")
    received = chat_server.last()
    assert "traceparent" not in received.headers
    assert received.headers["x-request-id"] == "untraced-1"
