"""The project's URLs plus ``POST /start``, which publishes ``taskapp.first``."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from chimera.urls import urlpatterns as project_urlpatterns
from tests.e2e.taskapp.tasks import first, sleep


@csrf_exempt
def start(request):
    """Publish ``first`` (or ``sleep`` with ``?sleep=<seconds>``) and answer its task ID."""
    seconds = request.GET.get("sleep")
    result = sleep.delay(float(seconds)) if seconds else first.delay()
    return JsonResponse({"task_id": result.id})


urlpatterns = [*project_urlpatterns, path("start", start)]
