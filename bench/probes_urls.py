"""The probes next to a bare Django view answering what liveness answers."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/bare", bare), path("", include("healthdash.urls"))]
