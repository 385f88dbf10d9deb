"""RequestIDMiddleware: one ID per request, on the response, the span and every log line.

It also starts the request's timings (``observability.timing``): its database and cache time,
for the access log and, when ``SERVER_TIMING`` is on, the ``Server-Timing`` header.
"""

from __future__ import annotations

import logging
from contextvars import Token
from functools import partial
from typing import TYPE_CHECKING

from opentelemetry import trace

from observability.compat.django import close_with
from observability.context import request_id_var, request_var, user_id_of
from observability.pipeline import set_up_middleware
from observability.request_id import get_request_id_config, is_valid_request_id
from observability.timing import ENVIRON_KEY, RequestTimings, server_timing_enabled, timings_var

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)
SPAN_ATTRIBUTE = "request.id"
USER_ATTRIBUTE = "enduser.id"  # OpenTelemetry's Django instrumentation never sees DRF's authentication
SERVER_SPAN_ATTRIBUTE = "observability_server_span"  # set by observability.tracing.middleware


class RequestIDMiddleware:
    """Take a valid incoming ID or make one; expose it until the response is closed.

    Sync and async capable without ``MiddlewareMixin`` hooks, so it never costs a thread hop.
    Everything that can be decided once (header, META key, generator, whether spans exist) is
    decided when the handler loads the middleware.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        set_up_middleware(self, get_response)
        config = get_request_id_config()
        self.header = config.header
        self.meta_key = config.meta_key if config.trust_incoming else None
        self.generate = config.generator
        # Without a tracer provider every span is a no-op: skip the lookup on each request.
        self.tag_spans = not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
        self.server_timing = server_timing_enabled()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.async_mode:
            return self.__acall__(request)
        token = self._begin(request)
        try:
            response = self.get_response(request)
        except BaseException:
            _reset(token)
            raise
        return self._finish(request, response, token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token = self._begin(request)
        try:
            response = await self.get_response(request)
        except BaseException:
            _reset(token)
            raise
        return self._finish(request, response, token)

    def _begin(self, request: HttpRequest) -> tuple[Token, Token, Token]:
        incoming = request.META.get(self.meta_key) if self.meta_key else None
        if incoming is None:
            request_id = self.generate()
        elif is_valid_request_id(incoming):
            request_id = incoming
        else:
            request_id = self.generate()
            # Length only: the value itself may be an injection attempt and is never logged.
            logger.debug("Replaced an invalid %s header (%d characters) with a new ID.", self.header, len(incoming))
        request.request_id = request_id
        if self.tag_spans:
            # TracingMiddleware hands its span over on the request: a context look-up less.
            span = request.__dict__.get(SERVER_SPAN_ATTRIBUTE) or trace.get_current_span()
            if span.is_recording():
                span.set_attribute(SPAN_ATTRIBUTE, request_id)
        timings = request.META[ENVIRON_KEY] = RequestTimings()
        return request_id_var.set(request_id), timings_var.set(timings), request_var.set(request)

    def _finish(self, request: HttpRequest, response: HttpResponseBase, token: tuple[Token, Token, Token],
                ) -> HttpResponseBase:
        response[self.header] = request.request_id
        if self.tag_spans:  # the view has run: DRF has authenticated the caller, if anyone did
            user = user_id_of(request)
            if user is not None:
                # OpenTelemetry's own middleware, when it opens the span, leaves it current instead.
                span = request.__dict__.get(SERVER_SPAN_ATTRIBUTE) or trace.get_current_span()
                if span.is_recording():
                    span.set_attribute(USER_ATTRIBUTE, user)
        if self.server_timing:
            timing = request.META[ENVIRON_KEY].server_timing()
            existing = response.get("Server-Timing")
            response["Server-Timing"] = f"{existing}, {timing}" if existing else timing
        # The ID stays set while the handler logs the response and a streaming body is sent;
        # the server's close() of the response ends it, before Django's request_finished.
        close_with(response, partial(_reset, token))
        return response


def _reset(tokens: tuple[Token, Token, Token]) -> None:
    # A plain try (free in 3.11) rather than contextlib.suppress, which costs on every request.
    try:
        request_id_var.reset(tokens[0])
        timings_var.reset(tokens[1])
        request_var.reset(tokens[2])
    except ValueError:
        # ASGI closes responses in a worker thread, in a copy of the request's context:
        # the request's own context ends with its task anyway.
        pass
