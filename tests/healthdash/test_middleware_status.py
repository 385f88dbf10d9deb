"""The middleware section, computed from the running configuration."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.urls import include, path
from rest_framework.views import APIView

from healthdash import middleware_status
from healthdash.middleware_status import middleware_statuses


class CustomAuthenticationMiddleware(AuthenticationMiddleware):
    """A project's own subclass still counts as authentication."""


def test_project_configuration():
    assert middleware_statuses() == {
        "request_id": "active" if "observability.middleware.RequestIDMiddleware" in django_settings.MIDDLEWARE
        else "inactive",
        "tracing": "inactive",
        # Metrics are on by default, and the project lists their middleware.
        "metrics": "active",
        "authentication": "active", "sessions": "active", "csrf": "active", "security_headers": "active",
        "clickjacking": "active", "rate_limiting": "active",  # POST /api/v1/generate is throttled
    }


def test_follows_settings_middleware(settings):
    settings.MIDDLEWARE = [
        "observability.middleware.RequestIDMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "tests.healthdash.test_middleware_status.CustomAuthenticationMiddleware",
    ]
    statuses = middleware_statuses()
    assert statuses["request_id"] == "active"
    assert statuses["authentication"] == "active"
    assert statuses["sessions"] == "active"
    assert {statuses[k] for k in ("csrf", "security_headers", "clickjacking", "metrics")} == {"inactive"}


def test_listed_metrics_middleware_counts_only_with_metrics_on(settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_ENABLED": "false"}
    assert middleware_statuses()["metrics"] == "inactive"
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "METRICS_ENABLED": "true"}
    assert middleware_statuses()["metrics"] == "active"


def test_rate_limiting_follows_drf_throttles(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
                               "DEFAULT_THROTTLE_RATES": {"anon": "100/min"}}
    assert middleware_statuses()["rate_limiting"] == "active"


def test_rate_limiting_follows_throttled_routed_views(settings):
    settings.ROOT_URLCONF = "tests.healthdash.test_middleware_status"
    assert middleware_statuses()["rate_limiting"] == "inactive"
    settings.ROOT_URLCONF = "tests.healthdash.test_middleware_status_throttled"
    assert middleware_statuses()["rate_limiting"] == "active"


def test_cors_appears_only_when_installed(monkeypatch, settings):
    assert "cors" not in middleware_statuses()
    real = middleware_status.apps.is_installed
    monkeypatch.setattr(middleware_status.apps, "is_installed", lambda name: name == "corsheaders" or real(name))
    assert middleware_statuses()["cors"] == "inactive"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "corsheaders.middleware.CorsMiddleware"]
    assert middleware_statuses()["cors"] == "active"


def test_tracing_active_when_observability_says_so(monkeypatch):
    status = {"enabled": True, "active": True}
    monkeypatch.setattr("healthdash.probes.tracing.tracing_status", lambda: status)
    assert middleware_statuses()["tracing"] == "active"
    status["active"] = False
    assert middleware_statuses()["tracing"] == "inactive"


class Unthrottled(APIView):
    throttle_classes: list = []


urlpatterns = [path("api/plain", Unthrottled.as_view()), path("health", include("healthdash.urls"))]
