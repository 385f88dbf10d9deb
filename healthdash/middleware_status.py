"""The dashboard's ``middleware`` section: which protections the running configuration has on.

Computed from ``settings.MIDDLEWARE``, DRF's throttle settings and routed views, and ``INSTALLED_APPS`` each
time a fresh answer is built, never from a fixed list: a middleware counts when it is listed
under its own name or as a subclass of the known class.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver
from django.utils.module_loading import import_string

from healthdash.probes.tracing import tracing_active
from observability import pipeline
from observability.metrics.configuration import get_metrics_config

ACTIVE, INACTIVE = "active", "inactive"

MIDDLEWARE_FEATURES = {
    "request_id": (pipeline.REQUEST_ID, "django_guid.middleware.guid_middleware"),
    # observability's counts only while METRICS_ENABLED is on (it leaves the chain otherwise); django-prometheus's too.
    "metrics": (pipeline.METRICS,
                "django_prometheus.middleware.PrometheusAfterMiddleware"),
    "authentication": ("django.contrib.auth.middleware.AuthenticationMiddleware",),
    "sessions": ("django.contrib.sessions.middleware.SessionMiddleware",),
    "csrf": ("django.middleware.csrf.CsrfViewMiddleware",),
    "security_headers": ("django.middleware.security.SecurityMiddleware",),
    "clickjacking": ("django.middleware.clickjacking.XFrameOptionsMiddleware",),
}
CORS_MIDDLEWARE = ("corsheaders.middleware.CorsMiddleware",)


def middleware_statuses() -> dict[str, str]:
    """Feature name -> ``active`` or ``inactive``; ``cors`` only when django-cors-headers is installed."""
    installed = _installed_middleware()
    statuses = {"request_id": _state(_uses(installed, MIDDLEWARE_FEATURES["request_id"]))}
    statuses["tracing"] = _state(tracing_active())
    metrics_on = get_metrics_config().enabled
    statuses["metrics"] = _state(_uses(installed, tuple(
        path for path in MIDDLEWARE_FEATURES["metrics"] if metrics_on or path != pipeline.METRICS)))
    for feature, paths in MIDDLEWARE_FEATURES.items():
        if feature not in statuses:
            statuses[feature] = _state(_uses(installed, paths))
    statuses["rate_limiting"] = _state(_throttled())
    if apps.is_installed("corsheaders"):
        statuses["cors"] = _state(_uses(installed, CORS_MIDDLEWARE))
    return statuses


def _state(on: bool) -> str:
    return ACTIVE if on else INACTIVE


def _installed_middleware() -> list[tuple[str, object]]:
    """(dotted path, imported object or None) for each entry of MIDDLEWARE."""
    entries = []
    for path in getattr(settings, "MIDDLEWARE", None) or ():
        try:
            entries.append((path, import_string(path)))
        except ImportError:
            entries.append((path, None))
    return entries


def _uses(installed: list[tuple[str, object]], known_paths: tuple[str, ...]) -> bool:
    if any(path in known_paths for path, _ in installed):
        return True
    known = tuple(cls for cls in map(_import_or_none, known_paths) if isinstance(cls, type))
    return bool(known) and any(isinstance(obj, type) and issubclass(obj, known) for _, obj in installed)


def _import_or_none(path: str) -> object:
    try:
        return import_string(path)
    except ImportError:
        return None


def _throttled() -> bool:
    """Whether DRF throttles API views: by default (DEFAULT_THROTTLE_CLASSES), or any routed view."""
    if not apps.is_installed("rest_framework"):
        return False
    from rest_framework.settings import api_settings

    return bool(api_settings.DEFAULT_THROTTLE_CLASSES) or any(
        getattr(view, "throttle_classes", None) for view in _routed_api_views(get_resolver().url_patterns)
    )


def _routed_api_views(patterns) -> Iterator[type]:
    """The DRF view classes the URLconf routes to (``as_view()`` keeps the class on ``.cls``)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routed_api_views(pattern.url_patterns)
        elif (view := getattr(pattern.callback, "cls", None)) is not None:
            yield view
