"""TracingMiddleware: the server span of each request, paid for in full only when it is sampled.

OpenTelemetry's Django middleware collects every attribute, resolves the URL to name the span
and builds the absolute URL three times (to match its exclusion list) before the sampler has
said whether anyone will see the span: an unsampled request pays nearly as much as a sampled
one. Here the sampler decides first, from the trace ID and the parent alone (the configured
sampler is a parent-based ratio and reads nothing else), and an unsampled request only
carries the trace context: it is current (log lines carry the trace ID, outgoing calls send
``traceparent`` with the not-sampled flag), and the response gets ``traceresponse``. A sampled
span gets the official middleware's name, kind, status and attributes, built by the same
functions of ``opentelemetry.instrumentation.wsgi`` (a test compares the two span by span).

Excluded paths match from the start of the path and pass straight through, before anything
else, Host validation included: a load balancer probing ``/health`` by IP gets its answer.

The one difference in the attributes: query values are masked (``http.target``, ``http.url``,
``url.query``), but those of ``REDACTION_SAFE_QUERY_KEYS``. The official instrumentation masks
only a few signature keys (OpenTelemetry Python's open issue #2992), and an exporter is a
place secrets must not reach: an API key or a reset token in a link is in every trace backend.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.asgi import ASGIRequest
from django.urls import Resolver404, resolve
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.propagators import TraceResponsePropagator, get_global_response_propagator
from opentelemetry.instrumentation.utils import extract_attributes_from_object
from opentelemetry.instrumentation.wsgi import (
    add_response_attributes,
    collect_custom_request_headers_attributes,
    collect_custom_response_headers_attributes,
    collect_request_attributes,
    wsgi_getter,
)
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
    get_custom_headers,
    get_traced_request_attrs,
    sanitize_method,
)

from observability.pipeline import TRACING
from observability.redaction import mask_query, mask_target, safe_query_keys
from observability.tracing.sampling import EMPTY_CONTEXT, SamplingFirst

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["MIDDLEWARE_PATH", "SCOPE_NAME", "Tracing", "TracingMiddleware", "install", "installed",
           "request_attributes"]

MIDDLEWARE_PATH = TRACING
# The official middleware's own name: backends show spans under the same instrumentation scope.
SCOPE_NAME = "opentelemetry.instrumentation.django"
EXCEPTION_ATTRIBUTE = "observability_exception"
# The attributes that carry the query string, whichever semantic conventions are emitted.
TARGET_ATTRIBUTES, QUERY_ATTRIBUTE = ("http.target", "http.url"), "url.query"
SERVER, INTERNAL = trace.SpanKind.SERVER, trace.SpanKind.INTERNAL


class Tracing:
    """What the middleware needs, decided once per process by ``observability.tracing.setup``."""

    def __init__(self, tracer: trace.Tracer, excluded: re.Pattern[str] | None, semconv: object,
                 provider: object = None) -> None:
        self.tracer, self.excluded, self.semconv = tracer, excluded, semconv
        # None for a provider installed by someone else: its sampler may read the attributes,
        # so it gets them, and the span its name, before it decides (as the official middleware does).
        self.sampling_first = SamplingFirst(provider) if SamplingFirst.applies_to(provider) else None
        # The request headers the propagator reads: without any, the parent context is empty.
        self.carrier_keys = frozenset("HTTP_" + name.upper().replace("-", "_")
                                      for name in propagate.get_global_textmap().fields)
        self.traced_attributes = tuple(get_traced_request_attrs("DJANGO"))
        self.request_headers = bool(get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST))
        self.response_headers = bool(get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE))


_installed: Tracing | None = None


def install(tracing: Tracing | None) -> None:
    """What middleware loaded from now on traces with (None: it leaves the chain)."""
    global _installed
    _installed = tracing


def installed() -> Tracing | None:
    """What middleware loaded now traces with."""
    return _installed


class TracingMiddleware:
    """Opens the server span of every request whose path is not excluded."""

    def __init__(self, get_response):
        # Tracing off, or OpenTelemetry's own middleware opens the spans: out of the chain.
        if _installed is None:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.tracing = _installed

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        tracing = self.tracing
        if (tracing.excluded is not None and tracing.excluded.match(request.path_info)) or (
                isinstance(request, ASGIRequest)):  # the official middleware skips them too (no ASGI instrumentation)
            return self.get_response(request)
        span, token = self._start(tracing, request)
        request.observability_server_span = span  # RequestIDMiddleware tags it without a context look-up
        try:
            response = self.get_response(request)
        except BaseException:
            span.end()
            context.detach(token)
            raise
        return self._finish(tracing, request, response, span, token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Keep the view's exception for the span, as the official middleware does."""
        setattr(request, EXCEPTION_ATTRIBUTE, exception)

    def _start(self, tracing: Tracing, request: HttpRequest) -> tuple[trace.Span, object]:
        meta, current = request.META, context.get_current()
        if current and trace.get_current_span(current) is not trace.INVALID_SPAN:  # a WSGI middleware opened one
            parent, kind = current, INTERNAL
        elif not meta.keys().isdisjoint(tracing.carrier_keys):
            parent, kind = propagate.extract(meta, getter=wsgi_getter), SERVER
        else:
            parent, kind = EMPTY_CONTEXT, SERVER  # what extract() gives for a request without those headers
        if tracing.sampling_first is not None:
            span = tracing.sampling_first.start_span(tracing.tracer, request.method, parent, kind)
            if span.is_recording():
                span.set_attributes(request_attributes(tracing, request))
        else:
            span = tracing.tracer.start_span(span_name(request), parent, kind,
                                             attributes=request_attributes(tracing, request))
        return span, context.attach(trace.set_span_in_context(span, parent))

    def _finish(self, tracing: Tracing, request: HttpRequest, response: HttpResponseBase, span: trace.Span,
                token: object) -> HttpResponseBase:
        recording = span.is_recording()
        try:
            if recording:
                record_response(tracing, request, response, span)
            propagator = get_global_response_propagator()
            if type(propagator) is TraceResponsePropagator:
                add_traceresponse(response, span.get_span_context())
            elif propagator is not None:
                propagator.inject(response)
        finally:
            if recording:  # ending a non-recording span does nothing
                span.end()
            context.detach(token)
        return response


def add_traceresponse(response: HttpResponseBase, ids: trace.SpanContext) -> None:
    """What ``TraceResponsePropagator.inject()`` adds, from the span at hand rather than a context look-up."""
    headers = response.headers
    trace_id, span_id, _, flags = ids[:4]  # SpanContext is a tuple: no property calls
    value = f"00-{trace_id:032x}-{span_id:016x}-{flags:02x}"
    present = headers.get("traceresponse")
    headers["traceresponse"] = f"{present}, {value}" if present else value
    present = headers.get("Access-Control-Expose-Headers")
    headers["Access-Control-Expose-Headers"] = f"{present}, traceresponse" if present else "traceresponse"


def request_attributes(tracing: Tracing, request: HttpRequest) -> dict:
    """The attributes the official middleware gives a recording server span at its start."""
    attributes = collect_request_attributes(request.META, tracing.semconv)
    if tracing.traced_attributes:
        attributes = extract_attributes_from_object(request, tracing.traced_attributes, attributes)
    if tracing.request_headers:
        attributes.update(collect_custom_request_headers_attributes(request.META))
    if request.META.get("QUERY_STRING"):
        mask_query_attributes(attributes)
    return attributes


def mask_query_attributes(attributes: dict) -> None:
    """Mask the query values the attributes carry, but those of the safe keys."""
    safe = safe_query_keys()
    for key in TARGET_ATTRIBUTES:
        if attributes.get(key):
            attributes[key] = mask_target(attributes[key], safe)
    if attributes.get(QUERY_ATTRIBUTE):
        attributes[QUERY_ATTRIBUTE] = mask_query(attributes[QUERY_ATTRIBUTE], safe)


def record_response(tracing: Tracing, request: HttpRequest, response: HttpResponseBase, span: trace.Span) -> None:
    """Name, route, status, response headers and the view's exception, on a recording span."""
    match = request.resolver_match
    if tracing.sampling_first is not None:
        span.update_name(span_name(request))
    if match is not None and match.route:
        span.set_attribute("http.route", match.route)
    add_response_attributes(span, f"{response.status_code} {response.reason_phrase}", (),
                            sem_conv_opt_in_mode=tracing.semconv)
    if tracing.response_headers:
        span.set_attributes(collect_custom_response_headers_attributes(response.items()))
    exception = getattr(request, EXCEPTION_ATTRIBUTE, None)
    if exception is not None:
        span.record_exception(exception)
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(exception).__name__}: {exception}"))


def span_name(request: HttpRequest) -> str:
    """``GET items/<int:pk>/``: the method and the route, as the official middleware names spans.

    The route Django resolved is used when there is one (the official middleware resolves
    ``request.path`` again, which includes ``SCRIPT_NAME`` and so fails under a prefix).
    """
    method = sanitize_method(request.method.strip())
    if method == "_OTHER":
        return "HTTP"
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path)
        except Resolver404:
            return request.method
    if getattr(match, "route", None):
        return f"{method} {match.route}"
    if getattr(match, "url_name", None):
        return f"{method} {match.url_name}"
    return request.method
