"""URLs of observability, included at the site root: ``path("", include("observability.urls"))``."""

from django.urls import path

from observability.metrics.view import metrics_view

app_name = "observability"

urlpatterns = [
    path("metrics", metrics_view, name="metrics"),
]
