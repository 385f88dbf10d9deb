"""``GET /metrics``: every metric in the Prometheus text format, aggregated over the server's processes.

For a caller with a key (``Authorization: Bearer <key>``, what Prometheus sends from a
``credentials_file``, or ``X-API-Key``) or an active staff session; 401 for anyone else unless
``METRICS_ANONYMOUS=true``. A key that is sent must be valid, even then, and wrong keys count
towards the per-address limit of every endpoint that takes keys (429 past it). 404 when metrics
are off or ``prometheus`` is not among the exporters; any method but GET and HEAD is a JSON 405.
``healthdash.urls`` routes it.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import AuthenticationFailed, Throttled

from observability.api_keys import HEADER, check_key, is_authorized
from observability.errors import safe_methods_only
from observability.metrics.configuration import get_metrics_config
from observability.metrics.prometheus import CONTENT_TYPE
from observability.metrics.recording import scraping
from observability.metrics.setup import prometheus_backend

CHALLENGE = 'Bearer realm="metrics"'


@never_cache
@safe_methods_only
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The exposition, or 401 (with the header to send) for a caller who may not read it."""
    backend = prometheus_backend()
    if backend is None or not get_metrics_config().serves_prometheus:
        raise Http404("Metrics are not served here.")
    try:
        readable = may_read(request)
    except AuthenticationFailed:
        readable = False
    except Throttled as throttled:
        response = HttpResponse(f"{throttled.detail}\n", status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(throttled.wait)
        return response
    if not readable:
        response = HttpResponse("Send a key: Authorization: Bearer <key>, or X-API-Key: <key>.\n",
                                status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = CHALLENGE
    else:
        scraping()
        response = HttpResponse(backend.exposition(), content_type=CONTENT_TYPE)
    patch_vary_headers(response, ("Authorization", "Cookie", HEADER))
    return response


def may_read(request: HttpRequest) -> bool:
    """A valid key; else a staff session, or anyone with ``METRICS_ANONYMOUS=true``; a wrong key raises."""
    if check_key(request) is not None:
        return True
    return get_metrics_config().anonymous or is_authorized(request)
