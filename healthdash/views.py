"""Plain Django views of healthdash: liveness and readiness, for load balancers and orchestrators."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from healthdash.dashboard import dashboard_for
from healthdash.status import Status


@never_cache
@require_safe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers: touches no backing service, so it is cheap and never flaps."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> JsonResponse:
    """200 unless a critical service is down (503); shares the dashboard's cached run."""
    run = dashboard_for().current_run()
    return JsonResponse({"status": run.status.value}, status=503 if run.status is Status.DOWN else 200)
