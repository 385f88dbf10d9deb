"""System checks healthdash.E001...: one per setting problem, each with a hint saying what to change."""

from __future__ import annotations

from django.core.checks import Error, Warning

from healthdash.conf import Problem, get_settings, settings_problems
from healthdash.configured import configured_service_problems
from healthdash.registry import service_registry

HINTS = {
    "healthdash.E001": "Set HEALTH_CACHE_SECONDS to the seconds results are reused, for example 5 (0: no caching).",
    "healthdash.E002": "Set HEALTH_DEADLINE to the seconds a whole run may take, for example 3.",
    "healthdash.E003": "Set HEALTH_ANONYMOUS to statuses (the default), overall, or deny.",
    "healthdash.E004": "Set HEALTH_MAX_WORKERS to the number of threads for checks, for example 32.",
    "healthdash.E005": "Give HEALTHDASH['API_KEYS'] a list of strings (chimera fills it from CHIMERA_API_KEYS).",
    "healthdash.E006": "Write HEALTHDASH['SERVICES'] as {'name': 'package.module.check'} or "
                       "{'name': {'check': 'package.module.check', 'critical': False, 'timeout': 1.0}}.",
    "healthdash.E007": "Point the entry at an importable callable with a valid 'critical' (True/False) and "
                       "'timeout' (seconds above 0).",
    "healthdash.E008": "Set HEALTHDASH['HISTORY_SIZE'] to the samples kept per service, for example 60.",
    "healthdash.E009": "Remove the key or correct its spelling.",
    "healthdash.E010": "Set HEALTHDASH to a dict, or remove it to use the defaults.",
}


def to_error(problem: Problem) -> Error:
    """The system check error for `problem`."""
    return Error(f"{problem.variable} {problem.message}.", hint=HINTS.get(problem.id), id=problem.id)


def check_settings(app_configs=None, **kwargs) -> list[Error]:
    """The HEALTHDASH setting and the variables forwarded into it are valid."""
    return [to_error(problem) for problem in settings_problems()]


def check_services(app_configs=None, **kwargs) -> list[Error]:
    """Every entry of HEALTHDASH['SERVICES'] imports and registers."""
    if settings_problems():
        return []  # check_settings reports them; the entries may not even parse
    return [to_error(problem) for problem in configured_service_problems()]


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
