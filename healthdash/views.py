"""Plain Django views of healthdash: liveness, startup and readiness, for load balancers and orchestrators.

Every caller gets the status and nothing else: the details are the dashboard's, for authorized callers.

Probes answer any method: GET and HEAD get the status, anything else a 405 in JSON with
``Allow``. They take no form and set no cookie, so they are exempt from CSRF, which would
otherwise answer a probe's stray POST or PUT with Django's HTML 403 page.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse

from healthdash.readiness import readiness_answer, startup_latch
from observability.errors import safe_methods_only

# What never_cache() writes, less its Expires date: formatting that date per response cost liveness a
# tenth of its time, and max-age overrides Expires for every HTTP/1.1 cache.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def probe(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """GET and HEAD only, other methods a JSON 405 with ``Allow``; no CSRF, never cached."""
    checked = safe_methods_only(view)

    @wraps(checked)
    def uncached(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = checked(request, *args, **kwargs)
        response["Cache-Control"] = NEVER_CACHE
        return response
    return uncached


@probe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers: touches no backing service, so it is cheap and never flaps."""
    return JsonResponse({"status": "ok"})


@probe
def startup(request: HttpRequest) -> JsonResponse:
    """503 until every ``startup`` service has been up once in this process, then 200 for good."""
    if startup_latch().started():
        return JsonResponse({"status": "started"})
    return JsonResponse({"status": "starting"}, status=503)


@probe
def readiness(request: HttpRequest) -> JsonResponse:
    """200 unless maintenance is on or a critical ``ready`` service is down; shares the dashboard's cached run."""
    answer = readiness_answer()
    return JsonResponse({"status": answer.status}, status=answer.code, headers=answer.headers)
