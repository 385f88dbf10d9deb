"""URLs for the in-process tracing tests: a route with a parameter, and paths near /health."""

from django.http import HttpResponse, JsonResponse
from django.urls import path, re_path


def item(request, pk):
    return JsonResponse({"pk": pk})


def plain(request):
    return HttpResponse("ok")


urlpatterns = [
    path("items/<int:pk>/", item),
    re_path(r"^(?:health|health/ready|health/|healthcare|api/healthcare/|api/health|admin/health/)$", plain),
]
