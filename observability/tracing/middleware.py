"""OpenTelemetry's Django middleware, with excluded paths matched from the start of the path.

The official middleware searches its exclusion patterns anywhere in the absolute URL, so
excluding ``/health`` would also exclude ``/api/healthcare/``; and it builds that URL, which
validates the Host header, even for requests it then excludes, so a load balancer probing
``/health`` with the instance's IP as Host would get a 400 once tracing is on. Here excluded
requests pass straight through, and traced ones skip building that URL: the Host is Django's
business (CommonMiddleware checks it), and the work is saved three times per request.
"""

from __future__ import annotations

import re

from opentelemetry.util.http import parse_excluded_urls

from observability.excluded_urls import compile_excluded  # noqa: F401 - setup.instrument_django() uses it from here
from observability.tracing.sdk import EXCLUDED_URLS_ATTRIBUTE, OfficialDjangoMiddleware

MIDDLEWARE_PATH = "observability.tracing.middleware.TracingMiddleware"


def _no_url(location=None) -> str:
    return ""


class TracingMiddleware(OfficialDjangoMiddleware):
    """Opens the server span of every request whose path is not excluded."""

    # Set by observability.tracing.setup.instrument_django(), like the parent's tracer and hooks.
    excluded_paths: re.Pattern[str] | None = None

    def __call__(self, request):
        if self._excluded(request):
            return self.get_response(request)
        # The parent's hooks build the absolute URL only to match it against its exclusion list,
        # which is empty here (exclusions are decided above): skip that work, three times a request.
        request.build_absolute_uri = _no_url
        try:
            self.process_request(request)
        finally:
            del request.build_absolute_uri
        response = self.get_response(request)
        request.build_absolute_uri = _no_url
        try:
            return self.process_response(request, response)
        finally:
            del request.build_absolute_uri

    def process_view(self, request, view_func, *args, **kwargs):
        if self._excluded(request):
            return None
        request.build_absolute_uri = _no_url
        try:
            return super().process_view(request, view_func, *args, **kwargs)
        finally:
            del request.build_absolute_uri

    def process_exception(self, request, exception):
        if not self._excluded(request):
            request.build_absolute_uri = _no_url
            try:
                super().process_exception(request, exception)
            finally:
                del request.build_absolute_uri

    def _excluded(self, request) -> bool:
        pattern = self.excluded_paths
        return pattern is not None and pattern.match(request.path_info) is not None


# The parent's own exclusion list, which matches anywhere in the URL: always empty here.
setattr(TracingMiddleware, EXCLUDED_URLS_ATTRIBUTE, parse_excluded_urls(""))
