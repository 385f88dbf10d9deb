"""Built-in services: each database and cache alias, unapplied migrations, the tracing exporter, the URL checks."""

from __future__ import annotations

from django.conf import settings

from healthdash.conf import get_settings, settings_problems
from healthdash.probes.cache import CacheProbe
from healthdash.probes.database import DatabaseProbe, service_name
from healthdash.probes.migrations import MigrationsProbe
from healthdash.probes.tracing import check_tracing
from healthdash.registry import READY, STARTUP, ServiceRegistry
from healthdash.url_checks import UrlCheck, url_check_secrets
from observability.parsing import Problem

TIMEOUT = 2.0
# A process is not started before it has reached its databases and found their migrations applied.
STARTED_WITH = (STARTUP, READY)


def register_builtin_services(registry: ServiceRegistry) -> None:
    """Register the built-in services on `registry`, replacing earlier ones (ready() may run twice)."""
    for alias in settings.DATABASES:
        registry.register(service_name("database", alias), DatabaseProbe(alias, TIMEOUT), timeout=TIMEOUT,
                          description=f"Database {alias!r}: SELECT 1 on a new connection",
                          component_type="datastore", replace=True, tags=STARTED_WITH)
    for alias in settings.CACHES:
        registry.register(service_name("cache", alias), CacheProbe(alias, TIMEOUT), timeout=TIMEOUT,
                          description=f"Cache {alias!r}: set, get and delete a key",
                          component_type="datastore", replace=True)
    registry.register("migrations", MigrationsProbe("default", TIMEOUT), critical=False, timeout=TIMEOUT,
                      description="Database 'default': every migration on disk is applied (else degraded, naming them)",
                      component_type="datastore", replace=True, tags=STARTED_WITH)
    registry.register("tracing", check_tracing, critical=False, timeout=1.0,
                      description="Tracing exporter: when enabled, exporting from this process and its last "
                                  "export accepted",
                      component_type="component", replace=True)


def register_url_checks(registry: ServiceRegistry) -> None:
    """One service per ``HEALTH_URL_CHECKS`` entry, not critical; a name another service holds stays that one's."""
    timeout = get_settings().check_timeout
    for name, url in get_settings().url_checks.items():
        if name in registry.names() and not isinstance(registry.get(name).check, UrlCheck):
            continue  # url_check_problems() names the clash
        check = UrlCheck(url, timeout)
        registry.register(name, check, critical=False, timeout=timeout, replace=True, component_type="system",
                          description=f"GET {check.shown_url}: up on a 2xx or 3xx answer within {timeout:g} s")


def url_check_problems(registry: ServiceRegistry) -> list[Problem]:
    """``HEALTH_URL_CHECKS`` names that another service of `registry` holds."""
    return [Problem("healthdash.E034", "HEALTH_URL_CHECKS", f"HEALTH_URL_CHECKS names {name!r}, a service the "
                    "application registers itself: the URL would not be checked.", "Give the URL check another name.")
            for name in get_settings().url_checks
            if name in registry.names() and not isinstance(registry.get(name).check, UrlCheck)]


def configured_url_secrets() -> list[str]:
    """The secrets the URL checks' URLs carry, for the redactor (none while the settings are invalid)."""
    return [] if settings_problems() else url_check_secrets(get_settings().url_checks)
