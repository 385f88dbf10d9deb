"""50 routes with a parameter each, in front of the project's URLs: a site as /metrics sees it."""

from django.http import HttpResponse
from django.urls import path

from chimera.urls import urlpatterns as project_urlpatterns


def item(request, pk):
    return HttpResponse("ok")


urlpatterns = [*(path(f"r{number}/<int:pk>", item) for number in range(50)), *project_urlpatterns]
