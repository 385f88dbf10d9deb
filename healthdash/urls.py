"""URLs of healthdash, included at the site root; ``/metrics`` is observability's (``observability.urls``)."""

from django.urls import path

from healthdash import api, fleet_api, history_api, views

app_name = "healthdash"

urlpatterns = [
    path("health", views.liveness, name="liveness"),
    path("health/live", views.liveness, name="live"),
    path("health/startup", views.startup, name="startup"),
    path("health/ready", views.readiness, name="readiness"),
    path("api/v1/health/dashboard", api.DashboardView.as_view(), name="dashboard"),
    path("api/v1/health/history", history_api.HistoryView.as_view(), name="history"),
    path("api/v1/health/fleet", fleet_api.FleetView.as_view(), name="fleet"),
]
