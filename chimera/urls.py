"""URLs of the chimera project."""

from django.contrib import admin
from django.urls import include, path

from chimera.views import favicon

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

# API paths answer errors as JSON carrying the request ID; other paths get Django's pages.
handler400 = "observability.errors.handler400"
handler403 = "observability.errors.handler403"
handler404 = "observability.errors.handler404"
handler500 = "observability.errors.handler500"

urlpatterns = [
    path("", include("healthdash.urls")),
    path("", include("observability.urls")),
    path("api/", include("chimera.api.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
]
