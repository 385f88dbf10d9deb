"""The project's URLs plus ``POST /start``, which publishes ``taskapp.first``."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from chimera.api.tasks import issue_task_id
from chimera.urls import urlpatterns as project_urlpatterns
from observability.api_keys import check_key
from tests.e2e.taskapp.tasks import first, sleep


@csrf_exempt
def start(request):
    """Publish ``first`` (or ``sleep`` with ``?sleep=<seconds>``, ``&limit=<seconds>`` its hard time limit) and
    answer its task ID; with an X-API-Key, an ID that key may read at /api/v1/tasks/<id>."""
    key = check_key(request)
    task_id = issue_task_id(key.key_id) if key is not None else None
    seconds, limit = request.GET.get("sleep"), request.GET.get("limit")
    if seconds:
        # Celery starts the hard limit's clock only when the soft limit passes, so a lower hard limit
        # than the project's soft one needs a soft one of its own.
        limits = {"time_limit": float(limit), "soft_time_limit": float(limit) / 2} if limit else {}
        result = sleep.apply_async((float(seconds),), task_id=task_id, **limits)
    else:
        result = first.apply_async(task_id=task_id)
    return JsonResponse({"task_id": result.id})


urlpatterns = [*project_urlpatterns, path("start", start)]
