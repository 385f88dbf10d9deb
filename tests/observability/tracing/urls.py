"""URLs for the tracing tests (in-process and under gunicorn): a route with a parameter, paths
near /health, then the project's own URLs."""

import time

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


def slow(request):
    # Long enough that concurrent requests spread over every gunicorn worker.
    time.sleep(0.2)
    return HttpResponse("slow")


urlpatterns = [
    path("items/<int:pk>/", item),
    path("slow/", slow),
    path("boom/", boom),
    path("missing/", missing),
    re_path(r"^(?:health/ready|health/|healthcare|api/healthcare/|api/health|admin/health/)$", plain),
    *project_urlpatterns,
]
