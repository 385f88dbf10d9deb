"""The project's URLs plus ``POST /start``, which publishes ``taskapp.first``."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from chimera.urls import urlpatterns as project_urlpatterns
from tests.e2e.taskapp.tasks import first, sleep


@csrf_exempt
def start(request):
    """Publish ``first`` (or ``sleep`` with ``?sleep=<seconds>``, ``&limit=<seconds>`` its hard time limit) and
    answer its task ID."""
    seconds, limit = request.GET.get("sleep"), request.GET.get("limit")
    if seconds:
        # Celery starts the hard limit's clock only when the soft limit passes, so a lower hard limit
        # than the project's soft one needs a soft one of its own.
        limits = {"time_limit": float(limit), "soft_time_limit": float(limit) / 2} if limit else {}
        result = sleep.apply_async((float(seconds),), **limits)
    else:
        result = first.delay()
    return JsonResponse({"task_id": result.id})


urlpatterns = [*project_urlpatterns, path("start", start)]
