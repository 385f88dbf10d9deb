"""Plain Django views of healthdash: liveness."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers: touches no backing service, so it is cheap and never flaps."""
    return JsonResponse({"status": "ok"})
