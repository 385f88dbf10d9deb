"""App config of healthdash."""

from __future__ import annotations

import sys

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started, setting_changed

# Commands that start with invalid settings so they can report them (and exit with their own status).
REPORTING_COMMANDS = frozenset({"check", "health"})


class HealthdashConfig(AppConfig):
    """Health checks of backing services, their API and their admin page."""

    name = "healthdash"
    verbose_name = "Health dashboard"

    def ready(self) -> None:
        """Register checks, signal receivers and the built-in and configured services."""
        from healthdash import checks as healthdash_checks
        from healthdash.configured import register_configured_services
        from healthdash.probe_hosts import admit_ip_host_probes
        from healthdash.probes import register_builtin_services
        from healthdash.registry import service_registry

        checks.register(healthdash_checks.check_settings, "healthdash")
        checks.register(healthdash_checks.check_services, "healthdash")
        checks.register(healthdash_checks.check_capacity, "healthdash")
        setting_changed.connect(drop_cached_settings, dispatch_uid="healthdash.drop_cached_settings")
        request_started.connect(admit_ip_host_probes, dispatch_uid="healthdash.admit_ip_host_probes")
        register_builtin_services(service_registry)
        problems = healthdash_checks.check_settings()
        if not problems:
            problems = [healthdash_checks.to_error(p) for p in register_configured_services(service_registry)]
        # gunicorn never runs the system checks: refuse to start, except for the commands that report.
        if problems and not _running_reporting_command():
            raise ImproperlyConfigured(" ".join(f"{error.msg} ({error.id})" for error in problems))


def _running_reporting_command() -> bool:
    return len(sys.argv) > 1 and sys.argv[0].endswith("manage.py") and sys.argv[1] in REPORTING_COMMANDS


def drop_cached_settings(*, setting: str, **kwargs) -> None:
    """Forget what was derived from a setting that changed (tests, override_settings)."""
    from healthdash.conf import get_settings
    from healthdash.probe_hosts import probe_paths
    from healthdash.redaction import configured_secrets

    if setting == "HEALTHDASH":
        get_settings.cache_clear()
    if setting in {"HEALTHDASH", "DATABASES", "CACHES", "SECRET_KEY", "OBSERVABILITY"}:
        configured_secrets.cache_clear()
    if setting == "ROOT_URLCONF":
        probe_paths.cache_clear()
