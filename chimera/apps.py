"""App config of the chimera project itself."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_started


class ChimeraConfig(AppConfig):
    """The project's own app: its services and their health registrations."""

    name = "chimera"
    verbose_name = "Chimera"

    def ready(self) -> None:
        """Register the checks, join the health dashboard, read chunked request bodies, mask provider keys."""
        from chimera import checks as chimera_checks
        from chimera.conf import SETTINGS_NAME, provider_api_keys
        from chimera.llm.service import provider_panels
        from chimera.request_body import read_chunked_body
        from observability.alerting.contributions import add_panels
        from observability.redaction import add_secret_source

        for check in (chimera_checks.check_service_settings, chimera_checks.check_default_provider,
                      chimera_checks.check_api_keys, chimera_checks.check_task_time_limit):
            checks.register(check, "chimera")
        checks.register(chimera_checks.check_throttle_on, "chimera", deploy=True)
        register_health()
        request_started.connect(read_chunked_body, dispatch_uid="chimera.read_chunked_body")
        add_secret_source(provider_api_keys, SETTINGS_NAME)
        add_panels("chimera", provider_panels)

    def configuration_problems(self) -> list:
        """Problems of the CHIMERA_* values (observability.startup refuses start-up on them)."""
        from chimera.conf import service_problems

        return service_problems()


def register_health() -> None:
    """``llm_service``, ``transformation_engine`` and the ``providers`` section; ready() may run twice."""
    from chimera import health
    from healthdash.registry import service_registry
    from healthdash.sections import register_section

    service_registry.register(
        "llm_service", health.check_llm_service, critical=True, timeout=1.0, replace=True,
        description="Text generation: down when the default provider cannot be called, degraded when a "
                    "provider's last call failed. Configuration only, no call to any provider.",
    )
    service_registry.register(
        "transformation_engine", health.check_transformation_engine, critical=True, timeout=1.0, replace=True,
        description="The prompt pipeline (normalise, limit, template), run on a fixed input.",
    )
    register_section("providers", health.providers_section, replace=True)
    register_task_queue_health()
    _cache_is_not_critical(service_registry)


def register_task_queue_health() -> None:
    """``celery`` (not critical: the web serves without workers), when a broker is configured."""
    from django.conf import settings

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        return
    from chimera.celery import app
    from healthdash.probes.celery import CeleryProbe
    from healthdash.registry import service_registry

    # The probe gives up on a silent broker before the runner would, so its reason says what hung.
    service_registry.register(
        "celery", CeleryProbe(app, timeout=1.5), critical=False, timeout=2.0, replace=True,
        component_type="system",
        description="Background tasks: the broker answers (else down) and a worker answers a ping (else "
                    "degraded); the number of workers and the default queue's length.",
    )


def _cache_is_not_critical(registry) -> None:
    """The ``cache`` service, kept but not critical: what uses the cache here (throttling, the limit
    on failed authentication) fails open, so a cache outage must not take instances out of service."""
    from healthdash.probes.database import service_name

    name = service_name("cache", "default")
    if name in registry and registry.get(name).critical:
        cache = registry.get(name)
        registry.register(name, cache.check, critical=False, timeout=cache.timeout, replace=True,
                          description=f"{cache.description} (not critical: throttling fails open without it)",
                          component_type=cache.component_type)
