"""URLs of healthdash, included at the site root."""

from django.urls import path

from healthdash import api, views
from observability.metrics.view import metrics_view

app_name = "healthdash"

urlpatterns = [
    path("health", views.liveness, name="liveness"),
    path("health/ready", views.readiness, name="readiness"),
    path("api/v1/health/dashboard", api.DashboardView.as_view(), name="dashboard"),
    # Served here so that a project including these URLs gets it; the view is observability's.
    path("metrics", metrics_view, name="metrics"),
]
