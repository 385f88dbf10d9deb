"""Plain Django views of healthdash: liveness and readiness, for load balancers and orchestrators.

Probes answer any method: GET and HEAD get the status, anything else a 405 in JSON with
``Allow``. They take no form and set no cookie, so they are exempt from CSRF, which would
otherwise answer a probe's stray POST or PUT with Django's HTML 403 page.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from healthdash.dashboard import dashboard_for
from healthdash.status import Status
from observability import lifecycle
from observability.errors import safe_methods_only


def probe(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """GET and HEAD only, other methods a JSON 405 with ``Allow``; no CSRF, never cached."""
    return never_cache(safe_methods_only(view))


@probe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers: touches no backing service, so it is cheap and never flaps."""
    return JsonResponse({"status": "ok"})


@probe
def readiness(request: HttpRequest) -> JsonResponse:
    """200 unless a critical service is down (503); shares the dashboard's cached run. A server about
    to stop answers 503 draining, so that balancers stop routing to it while it still serves."""
    if lifecycle.draining():
        return JsonResponse({"status": "draining"}, status=503)
    run = dashboard_for().current_run()
    return JsonResponse({"status": run.status.value}, status=503 if run.status is Status.DOWN else 200)
