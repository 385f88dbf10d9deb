"""App config of healthdash."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_started

from observability import lifecycle
from observability.metrics.recording import before_scrape
from observability.redaction import add_secret_source


class HealthdashConfig(AppConfig):
    """Health checks of backing services, their API and their admin page."""

    name = "healthdash"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Health dashboard"

    def ready(self) -> None:
        """Register the checks, the probe-host receiver, the built-in and configured services, the alert rules."""
        from healthdash import alerts, maintenance
        from healthdash import checks as healthdash_checks
        from healthdash.conf import SETTINGS_NAME, get_settings, settings_problems
        from healthdash.heartbeat import leave_fleet, start_heartbeat, start_on_first_request
        from healthdash.notifications import webhook_secrets
        from healthdash.probe_hosts import admit_ip_host_probes
        from healthdash.probes import configured_url_secrets, register_builtin_services, register_url_checks
        from healthdash.registry import register_configured_services, service_registry
        from observability.processes import worker_started, worker_stopping

        checks.register(healthdash_checks.check_settings, "healthdash")
        checks.register(healthdash_checks.check_capacity, "healthdash")
        checks.register(healthdash_checks.check_urls, "healthdash", checks.Tags.urls)
        request_started.connect(admit_ip_host_probes, dispatch_uid="healthdash.admit_ip_host_probes")
        # Each server process records itself in the fleet (healthdash.heartbeat says when it starts).
        worker_started.connect(start_heartbeat, dispatch_uid="healthdash.start_heartbeat")
        worker_stopping.connect(leave_fleet, dispatch_uid="healthdash.leave_fleet")
        request_started.connect(start_on_first_request, dispatch_uid="healthdash.start_heartbeat")
        add_secret_source(configured_url_secrets, SETTINGS_NAME)
        register_builtin_services(service_registry)
        if not healthdash_checks.services_problems():
            register_configured_services(service_registry)
        if not settings_problems():
            register_url_checks(service_registry)
        alerts.register()
        add_secret_source(webhook_secrets, SETTINGS_NAME)  # its token: never in a log line, page or report
        # Each scrape reads the switch when this process's copy is old: the gauge says what the database says.
        before_scrape("healthdash", maintenance.record_gauge)
        # gunicorn's hooks (observability.gunicorn) drain this long on SIGTERM; readiness says so meanwhile.
        lifecycle.set_drain_seconds(get_settings().drain_seconds)

    def configuration_problems(self) -> list:
        """Problems of HEALTHDASH and its SERVICES (observability.startup collects them)."""
        from healthdash.checks import configuration_problems

        return configuration_problems()
