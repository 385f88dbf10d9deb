"""Sampling decided before anything else: from the trace ID and the parent alone.

The project's sampler is parent-based ratio sampling (``RatioSampler``): a request with a
parent follows the parent's decision, a new trace is recorded when its random trace ID falls
under the rate's bound. That decision needs nothing from the request but its ``traceparent``,
so ``SamplingFirst`` takes it before any span exists: an unsampled request gets a
non-recording span (trace ID, new span ID, the parent's flags and trace state: what the SDK's
tracer would make) for a few microseconds, and a sampled one goes through the SDK's tracer as
usual, with the very trace ID the decision was taken on (``PresetIdGenerator``), so the SDK's
sampler, seeing the same ID, decides the same.
"""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

RANDOM_TRACE_ID = trace.TraceFlags.RANDOM_TRACE_ID
EMPTY_CONTEXT = Context()  # what extract() gives for a request without propagation headers: no parent


class RatioSampler(ParentBased):
    """Parent-based ratio sampling: the parent's decision, else a share of trace IDs; reads nothing else."""

    def __init__(self, rate: float) -> None:
        self.ratio = TraceIdRatioBased(rate)
        super().__init__(self.ratio)


class PresetIdGenerator(RandomIdGenerator):
    """Random IDs, except the next trace ID of a thread whose sampling was decided on that ID already."""

    def __init__(self) -> None:
        self._preset = threading.local()

    def preset(self, trace_id: int | None) -> None:
        """The trace ID this thread's next span gets (None: a random one)."""
        self._preset.trace_id = trace_id

    def generate_trace_id(self) -> int:
        trace_id = getattr(self._preset, "trace_id", None)
        if trace_id is None:
            return super().generate_trace_id()
        self._preset.trace_id = None
        return trace_id


class SamplingFirst:
    """Starts server spans of a provider built with RatioSampler and PresetIdGenerator, deciding first."""

    def __init__(self, provider) -> None:
        self.ids: PresetIdGenerator = provider.id_generator
        self.bound = provider.sampler.ratio.bound
        self.root_flags = trace.TraceFlags(RANDOM_TRACE_ID if self.ids.is_trace_id_random() else 0)

    @staticmethod
    def applies_to(provider) -> bool:
        """Whether `provider` samples by RatioSampler with a PresetIdGenerator (the project's own does)."""
        return (isinstance(getattr(provider, "sampler", None), RatioSampler)
                and isinstance(getattr(provider, "id_generator", None), PresetIdGenerator))

    def start_span(self, tracer: trace.Tracer, name: str, context, kind: trace.SpanKind) -> trace.Span:
        """A recording span through `tracer` when sampled, else a non-recording one with the trace's IDs."""
        parent = trace.INVALID_SPAN_CONTEXT if context is EMPTY_CONTEXT else trace.get_current_span(
            context).get_span_context()
        if parent.is_valid:
            if parent.trace_flags.sampled:
                return tracer.start_span(name, context, kind)
            flags = trace.TraceFlags(parent.trace_flags & RANDOM_TRACE_ID)
            return trace.NonRecordingSpan(trace.SpanContext(
                parent.trace_id, self.ids.generate_span_id(), False, flags, parent.trace_state))
        trace_id = RandomIdGenerator.generate_trace_id(self.ids)  # never a preset one here
        if trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < self.bound:
            self.ids.preset(trace_id)
            try:
                return tracer.start_span(name, context, kind)
            finally:
                self.ids.preset(None)  # in case the tracer made no span (disabled) and left it
        return trace.NonRecordingSpan(trace.SpanContext(trace_id, self.ids.generate_span_id(), False,
                                                        self.root_flags))
