"""App config of healthdash."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_started

from observability import lifecycle
from observability.metrics.recording import before_scrape


class HealthdashConfig(AppConfig):
    """Health checks of backing services, their API and their admin page."""

    name = "healthdash"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Health dashboard"

    def ready(self) -> None:
        """Register the checks, the probe-host receiver, the built-in and configured services, the alert rules."""
        from healthdash import alerts, maintenance
        from healthdash import checks as healthdash_checks
        from healthdash.conf import get_settings
        from healthdash.probe_hosts import admit_ip_host_probes
        from healthdash.probes import register_builtin_services
        from healthdash.registry import register_configured_services, service_registry

        checks.register(healthdash_checks.check_settings, "healthdash")
        checks.register(healthdash_checks.check_capacity, "healthdash")
        checks.register(healthdash_checks.check_urls, "healthdash", checks.Tags.urls)
        request_started.connect(admit_ip_host_probes, dispatch_uid="healthdash.admit_ip_host_probes")
        register_builtin_services(service_registry)
        if not healthdash_checks.services_problems():
            register_configured_services(service_registry)
        alerts.register()
        # Each scrape reads the switch when this process's copy is old: the gauge says what the database says.
        before_scrape("healthdash", maintenance.record_gauge)
        # gunicorn's hooks (observability.gunicorn) drain this long on SIGTERM; readiness says so meanwhile.
        lifecycle.set_drain_seconds(get_settings().drain_seconds)

    def configuration_problems(self) -> list:
        """Problems of HEALTHDASH and its SERVICES (observability.startup collects them)."""
        from healthdash.checks import configuration_problems

        return configuration_problems()
