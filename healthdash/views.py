"""Plain Django views of healthdash: liveness and readiness, for load balancers and orchestrators.

Probes answer any method: GET and HEAD get the status, anything else a 405 in JSON with
``Allow``. They take no form and set no cookie, so they are exempt from CSRF, which would
otherwise answer a probe's stray POST or PUT with Django's HTML 403 page.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from healthdash.dashboard import dashboard_for
from healthdash.status import Status
from observability.context import get_request_id
from observability.errors import error_body

SAFE_METHODS = ("GET", "HEAD")


def probe(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """GET and HEAD only, other methods a JSON 405 with ``Allow``; no CSRF, never cached."""
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            message = f"{request.method} is not allowed here; use {' or '.join(SAFE_METHODS)}."
            response = JsonResponse(error_body("method_not_allowed", message, get_request_id()), status=405)
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request)
    return csrf_exempt(never_cache(checked))


@probe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers: touches no backing service, so it is cheap and never flaps."""
    return JsonResponse({"status": "ok"})


@probe
def readiness(request: HttpRequest) -> JsonResponse:
    """200 unless a critical service is down (503); shares the dashboard's cached run."""
    run = dashboard_for().current_run()
    return JsonResponse({"status": run.status.value}, status=503 if run.status is Status.DOWN else 200)
