"""Sampling decided first: the same decisions, trace IDs and flags as the SDK's own sampler."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

from observability.tracing import setup
from observability.tracing.configuration import TracingConfig
from observability.tracing.sampling import SamplingFirst

pytestmark = pytest.mark.urls("tests.observability.tracing.urls")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def half(global_tracer_provider, settings):
    """The project's instrumentation sampling half of the new traces; its exporter and provider."""
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)  # the instrumentation's edits stay in this override
    exporter = InMemorySpanExporter()
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=0.5)
    provider = setup.build_provider(config, SimpleSpanProcessor(exporter))
    global_tracer_provider(provider)
    assert setup.instrument_django(provider, config)
    yield exporter, provider
    setup.uninstrument_django()
    provider.shutdown()


def test_a_new_trace_is_sampled_exactly_when_its_id_falls_under_the_bound(client, half):
    exporter, provider = half
    bound = TraceIdRatioBased(0.5).bound
    answers = [client.get(f"/items/{number}/")["traceresponse"].split("-") for number in range(200)]
    sampled = {trace_id for _, trace_id, _, flags in answers if int(flags, 16) & 1}
    assert 40 < len(sampled) < 160
    for _, trace_id, _, flags in answers:
        assert bool(int(flags, 16) & 1) is (int(trace_id, 16) & TraceIdRatioBased.TRACE_ID_LIMIT < bound)
        assert int(flags, 16) & trace.TraceFlags.RANDOM_TRACE_ID  # random trace IDs, as the SDK marks them
    assert {f"{span.context.trace_id:032x}" for span in exporter.get_finished_spans()} == sampled


def test_the_parent_decides_whatever_the_rate(client, half):
    exporter, _ = half
    for flags in ("01", "00") * 10:
        response = client.get("/items/1/", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-{flags}",
                                                    "tracestate": "vendor=value"})
        assert response["traceresponse"].startswith(f"00-{TRACE_ID}-")
        assert response["traceresponse"].endswith(f"-{flags}")
    assert len(exporter.get_finished_spans()) == 10


def test_an_unsampled_span_keeps_the_parent_s_trace_state(half):
    _, provider = half
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(
        {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-00", "tracestate": "vendor=value"})
    span = SamplingFirst(provider).start_span(provider.get_tracer("t"), "GET", parent, trace.SpanKind.SERVER)
    ids = span.get_span_context()
    assert not span.is_recording()
    assert (f"{ids.trace_id:032x}", ids.trace_state.get("vendor"), ids.is_valid) == (TRACE_ID, "value", True)


def test_only_a_provider_with_the_project_s_sampler_and_ids_decides_first():
    from opentelemetry.sdk.trace import TracerProvider

    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None)
    assert SamplingFirst.applies_to(setup.build_provider(config, SimpleSpanProcessor(InMemorySpanExporter())))
    assert not SamplingFirst.applies_to(TracerProvider(shutdown_on_exit=False))
    assert not SamplingFirst.applies_to(None)
