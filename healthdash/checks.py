"""System checks of healthdash: its settings (healthdash.E0xx), its URLs (E014) and its capacity (healthdash.W0xx).

IDs are stable and never reused (E005, the API keys now read by observability, is retired).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import NoReverseMatch, reverse

from healthdash.conf import get_settings, settings_problems
from healthdash.probes import url_check_problems
from healthdash.registry import configured_service_problems, service_registry
from observability import extras
from observability.parsing import Problem


def services_problems() -> list[Problem]:
    """The HEALTHDASH setting's problems, else those of the services it configures and of its URL checks."""
    return settings_problems() or configured_service_problems() + url_check_problems(service_registry)


def configuration_problems() -> list[Problem]:
    """The problems of HEALTHDASH and its services, and the cache clients missing."""
    return services_problems() + missing_cache_clients()


def missing_cache_clients() -> list[Problem]:
    """Redis caches in CACHES without redis-py: the cache and its built-in probe would fail on every call."""
    if extras.found("redis"):
        return []
    return [Problem("healthdash.E015", "CACHES", f"CACHES[{alias!r}] is a Redis cache, and redis cannot be imported: "
                    f"the cache and its health probe fail on every call ({extras.install_line('redis')}).",
                    "Install the redis extra, or use another cache backend.")
            for alias in extras.redis_caches(settings.CACHES)]


def check_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The HEALTHDASH setting and the variables forwarded into it are valid, and its services register."""
    return [problem.check_message() for problem in configuration_problems()]


def check_capacity(app_configs=None, **kwargs) -> list[Warning]:
    """Every registered check gets a thread at once, and its timeout fits in the deadline."""
    if settings_problems():
        return []
    config, services = get_settings(), list(service_registry)
    warnings = []
    if len(services) > config.max_workers:
        warnings.append(Warning(
            f"{len(services)} services are registered but HEALTH_MAX_WORKERS is {config.max_workers}: "
            "some checks wait for a thread and may time out.",
            hint=f"Set HEALTH_MAX_WORKERS to {len(services)} or more.", id="healthdash.W001"))
    for service in services:
        if service.timeout > config.deadline:
            warnings.append(Warning(
                f"Service {service.name!r} has a timeout of {service.timeout:g} s, longer than HEALTH_DEADLINE "
                f"({config.deadline:g} s): it is cut off at the deadline.",
                hint="Lower the service's timeout or raise HEALTH_DEADLINE.", id="healthdash.W002"))
    return warnings


def check_urls(app_configs=None, **kwargs) -> list[Error]:
    """An admin site with the health page has the dashboard JSON it reads: healthdash.urls is routed."""
    if not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.sites import all_sites

    from healthdash.admin_site import HealthAdminSiteMixin

    sites = sorted(site.name for site in all_sites if isinstance(site, HealthAdminSiteMixin))
    if not sites:
        return []
    try:
        reverse("healthdash:dashboard")
    except NoReverseMatch:
        return [Error(
            f"The admin health page is installed (admin site {', '.join(map(repr, sites))}) but healthdash.urls "
            "is not routed: the page fails with NoReverseMatch for 'healthdash:dashboard'.",
            hint=f'Add path("", include("healthdash.urls")) to urlpatterns in {settings.ROOT_URLCONF} '
                 '(include and path from django.urls), next to the admin\'s own line.',
            id="healthdash.E014")]
    return []
