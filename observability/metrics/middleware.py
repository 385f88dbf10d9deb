"""MetricsMiddleware: the duration, method, route and status of every request, and how many are running.

``MIDDLEWARE`` lists it right after ``RequestIDMiddleware`` (inside the tracing middleware, so a
sampled request's span is current when its duration is recorded and becomes the exemplar;
``observability.pipeline``); with metrics off it leaves the chain. It counts every request whatever
tracing samples, except the paths of ``METRICS_EXCLUDED_URLS``. ``http.route`` is Django's route
pattern (``/api/v1/tasks/<str:task_id>``), never the path itself, so the number of series stays
bounded.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from observability.excluded_urls import compile_excluded
from observability.metrics.configuration import get_metrics_config
from observability.metrics.instruments import (
    ACTIVE_REQUESTS,
    KNOWN_METHODS,
    OTHER_METHOD,
    REQUEST_DURATION,
    UNMATCHED_ROUTE,
)
from observability.pipeline import METRICS, set_up_middleware

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["MIDDLEWARE_PATH", "MetricsMiddleware", "route_of"]

MIDDLEWARE_PATH = METRICS
SERVER_ERROR = "500"


def route_of(request: HttpRequest) -> str:
    """The route pattern the request matched, from the site's root; one shared value when none matched."""
    match = getattr(request, "resolver_match", None)
    return UNMATCHED_ROUTE if match is None else "/" + match.route


class MetricsMiddleware:
    """Records ``http.server.request.duration`` and ``http.server.active_requests`` (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        config = get_metrics_config()
        set_up_middleware(self, get_response, config.enabled)
        self.excluded = compile_excluded(config.excluded_urls)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.async_mode:
            return self.__acall__(request)
        if self.excluded is not None and self.excluded.match(request.path_info):
            return self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
        ACTIVE_REQUESTS.add(1, method)
        started, status = time.perf_counter(), SERVER_ERROR
        try:
            response = self.get_response(request)
            status = str(response.status_code)
            return response
        finally:
            ACTIVE_REQUESTS.add(-1, method)
            REQUEST_DURATION.record(time.perf_counter() - started, method, route_of(request), status)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.excluded is not None and self.excluded.match(request.path_info):
            return await self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
        ACTIVE_REQUESTS.add(1, method)
        started, status = time.perf_counter(), SERVER_ERROR
        try:
            response = await self.get_response(request)
            status = str(response.status_code)
            return response
        finally:
            ACTIVE_REQUESTS.add(-1, method)
            REQUEST_DURATION.record(time.perf_counter() - started, method, route_of(request), status)
