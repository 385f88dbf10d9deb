"""Built-in services: each database and cache alias, unapplied migrations, the tracing exporter."""

from __future__ import annotations

from django.conf import settings

from healthdash.probes.cache import CacheProbe
from healthdash.probes.database import DatabaseProbe, service_name
from healthdash.probes.migrations import MigrationsProbe
from healthdash.probes.tracing import check_tracing
from healthdash.registry import READY, STARTUP, ServiceRegistry

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
