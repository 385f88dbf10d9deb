"""URLs for the tracing tests (in-process and under gunicorn): a route with a parameter, paths
near /health, a view with queries and cache calls, then the project's own URLs."""

import time

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path, re_path

from chimera.urls import urlpatterns as project_urlpatterns


def item(request, pk):
    return JsonResponse({"pk": pk})


def plain(request):
    return HttpResponse("ok")


def boom(request):
    raise RuntimeError("boom")


def missing(request):
    raise Http404("no such item")


# A query parameter and a cached value that no span, header or log line may ever show.
SECRET_VALUE = "never-shown-7f3a"


def anatomy(request):
    """Three queries and two cache calls."""
    with connection.cursor() as cursor:
        for number in range(3):
            cursor.execute("SELECT %s", [f"{SECRET_VALUE}-{number}"])
            cursor.fetchone()
    cache.set("anatomy", SECRET_VALUE, 30)
    return JsonResponse({"cached": cache.get("anatomy") == SECRET_VALUE})


def slow(request):
    # Long enough that concurrent requests spread over every gunicorn worker.
    time.sleep(0.2)
    return HttpResponse("slow")


urlpatterns = [
    path("items/<int:pk>/", item),
    path("slow/", slow),
    path("boom/", boom),
    path("missing/", missing),
    path("anatomy/", anatomy),
    re_path(r"^(?:health/ready|health/|healthcare|api/healthcare/|api/health|admin/health/)$", plain),
    *project_urlpatterns,
]
