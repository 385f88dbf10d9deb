"""Services added by the ``SERVICES`` setting: import strings of checks, registered in ready()."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.module_loading import import_string

from healthdash.conf import Problem, get_settings
from healthdash.registry import ServiceRegistry


def register_configured_services(registry: ServiceRegistry,
                                 services: Mapping[str, Mapping[str, object]] | None = None) -> list[Problem]:
    """Register every entry of ``SERVICES`` (replacing), and return the entries that could not be."""
    services = get_settings().services if services is None else services
    problems = []
    for name, entry in services.items():
        variable = f"SERVICES[{name!r}]"
        try:
            check = import_string(entry["check"])
        except ImportError as exc:
            problems.append(Problem("healthdash.E007", variable, f"cannot import {entry['check']!r}: {exc}"))
            continue
        critical = entry.get("critical", True)
        if not isinstance(critical, bool):
            problems.append(Problem("healthdash.E007", variable, f"'critical' must be True or False, got {critical!r}"))
            continue
        try:
            registry.register(name, check, critical=critical, timeout=entry.get("timeout", 2.0),
                              description=str(entry.get("description", "")), replace=True)
        except (TypeError, ValueError) as exc:
            problems.append(Problem("healthdash.E007", variable, str(exc)))
    return problems


def configured_service_problems() -> list[Problem]:
    """Problems of the ``SERVICES`` entries, found by registering them into a scratch registry."""
    return register_configured_services(ServiceRegistry())
