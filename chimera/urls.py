"""URLs of the chimera project."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("healthdash.urls")),
    path("api/", include("chimera.api.urls")),
    path("admin/", admin.site.urls),
]
