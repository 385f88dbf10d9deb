"""Settings of healthdash: defaults in one dataclass, parsed from ``settings.HEALTHDASH``.

Keys are the operator variables' names (``HEALTH_CACHE_SECONDS``), whose values may be the
strings read from the environment or typed Python values, plus two keys set in Python only:
``SERVICES`` and ``HISTORY_SIZE``. The keys that may see the dashboard's details are
observability's (``OBSERVABILITY["API_KEYS"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

from observability.parsing import Problem, as_choice, as_number, cached_until_changed, shown

SETTINGS_NAME = "HEALTHDASH"
ANONYMOUS_MODES = ("statuses", "overall", "deny")
SERVICE_KEYS = frozenset({"check", "critical", "timeout", "description"})
KNOWN_KEYS = frozenset({
    "HEALTH_CACHE_SECONDS", "HEALTH_DEADLINE", "HEALTH_ANONYMOUS", "HEALTH_MAX_WORKERS", "SERVICES", "HISTORY_SIZE",
})


@dataclass(frozen=True)
class DashboardSettings:
    """The validated settings of healthdash; the defaults are the ones below."""

    cache_seconds: float = 5.0      # results are reused this long
    deadline: float = 3.0           # a whole run takes at most this long
    anonymous: str = "statuses"     # what anonymous callers get: statuses, overall or deny (401)
    max_workers: int = 32           # threads running sync checks, per process
    history_size: int = 60          # latency samples kept per service
    services: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


def parse_settings(raw: object) -> tuple[DashboardSettings, list[Problem]]:
    """Settings from `raw` (``settings.HEALTHDASH``) and every problem found, defaults kept for those."""
    if not isinstance(raw, Mapping):
        return DashboardSettings(), [Problem("healthdash.E010", SETTINGS_NAME, f"HEALTHDASH must be a dict, got "
                                             f"{type(raw).__name__}.", "Set HEALTHDASH to a dict, or remove it.")]
    problems: list[Problem] = []
    values = {
        "cache_seconds": _seconds(raw, "HEALTH_CACHE_SECONDS", "healthdash.E001", 0.0, problems,
                                  "the seconds results are reused, for example 5 (0: no caching)"),
        "deadline": _seconds(raw, "HEALTH_DEADLINE", "healthdash.E002", 0.001, problems,
                             "the seconds a whole run may take, for example 3"),
        "anonymous": _anonymous(raw, problems),
        "max_workers": _whole(raw, "HEALTH_MAX_WORKERS", "healthdash.E004", problems,
                              "the number of threads for checks, for example 32"),
        "services": _services(raw, problems),
        "history_size": _whole(raw, "HISTORY_SIZE", "healthdash.E008", problems,
                               "the samples kept per service, for example 60"),
    }
    for key in sorted(set(raw) - KNOWN_KEYS, key=str):
        problems.append(Problem("healthdash.E009", str(key), f"{key} is not a setting of healthdash (known: "
                                f"{', '.join(sorted(KNOWN_KEYS))}).", "Remove the key or correct its spelling; "
                                "API keys are OBSERVABILITY['API_KEYS']."))
    return DashboardSettings(**{k: v for k, v in values.items() if v is not None}), problems


@cached_until_changed(SETTINGS_NAME)
def _parsed() -> tuple[DashboardSettings, list[Problem]]:
    return parse_settings(getattr(settings, SETTINGS_NAME, {}))


def get_settings() -> DashboardSettings:
    """The current settings, parsed once; dropped when ``HEALTHDASH`` changes."""
    return _parsed()[0]


def settings_problems() -> list[Problem]:
    """Problems of the current ``HEALTHDASH`` setting."""
    return list(_parsed()[1])


def _given(raw: Mapping, key: str) -> bool:
    return key in raw and raw[key] not in ("", None)


def _seconds(raw, key, problem_id, minimum, problems, meaning) -> float | None:
    if not _given(raw, key):
        return None
    number = as_number(raw[key])
    if number is None or number < minimum:
        problems.append(Problem(problem_id, key, f"{key} must be a number of seconds of at least {minimum:g}, "
                                f"got {shown(raw[key])}.", f"Set {key} to {meaning}."))
        return None
    return number


def _whole(raw, key, problem_id, problems, meaning) -> int | None:
    if not _given(raw, key):
        return None
    number = as_number(raw[key], int)
    if number is None or number < 1:
        problems.append(Problem(problem_id, key, f"{key} must be a whole number of at least 1, "
                                f"got {shown(raw[key])}.", f"Set {key} to {meaning}."))
        return None
    return number


def _anonymous(raw, problems) -> str | None:
    if not _given(raw, "HEALTH_ANONYMOUS"):
        return None
    choice = as_choice(raw["HEALTH_ANONYMOUS"], ANONYMOUS_MODES)
    if choice is None:
        problems.append(Problem("healthdash.E003", "HEALTH_ANONYMOUS", "HEALTH_ANONYMOUS must be one of "
                                f"{', '.join(ANONYMOUS_MODES)}, got {shown(raw['HEALTH_ANONYMOUS'])}.",
                                "Set HEALTH_ANONYMOUS to statuses (the default), overall, or deny."))
    return choice


def _services(raw, problems) -> dict | None:
    services = raw.get("SERVICES")
    if services is None:
        return None
    if not isinstance(services, Mapping):
        problems.append(Problem("healthdash.E006", "SERVICES", "SERVICES must be a dict of service name to an import "
                                f"string or a dict, got {type(services).__name__}.",
                                "Write HEALTHDASH['SERVICES'] as {'name': 'package.module.check'}."))
        return None
    parsed = {}
    for name, spec in services.items():
        entry = {"check": spec} if isinstance(spec, str) else spec
        if not isinstance(entry, Mapping) or not isinstance(entry.get("check"), str) or set(entry) - SERVICE_KEYS:
            problems.append(Problem("healthdash.E011", f"SERVICES[{name!r}]", f"SERVICES[{name!r}] must be an import "
                                    "string or a dict with 'check' (an import string) and optionally 'critical', "
                                    "'timeout', 'description'.", "For example {'check': 'package.module.check', "
                                    "'critical': False, 'timeout': 1.0}."))
            continue
        parsed[str(name)] = dict(entry)
    return parsed
