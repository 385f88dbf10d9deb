"""URLs of healthdash, included at the site root."""

from django.urls import path

from healthdash import views

app_name = "healthdash"

urlpatterns = [
    path("health", views.liveness, name="liveness"),
]
