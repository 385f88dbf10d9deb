"""Settings of healthdash: defaults in one dataclass, parsed from ``settings.HEALTHDASH``.

Keys are the operator variables' names (``HEALTH_CACHE_SECONDS``), whose values may be the
strings read from the environment or typed Python values, plus three keys set in Python only:
``API_KEYS``, ``SERVICES`` and ``HISTORY_SIZE``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

ANONYMOUS_MODES = ("statuses", "overall", "deny")
KNOWN_KEYS = frozenset({
    "HEALTH_CACHE_SECONDS", "HEALTH_DEADLINE", "HEALTH_ANONYMOUS", "HEALTH_MAX_WORKERS",
    "API_KEYS", "SERVICES", "HISTORY_SIZE",
})


@dataclass(frozen=True)
class DashboardSettings:
    """The validated settings of healthdash; the defaults are the ones below."""

    cache_seconds: float = 5.0      # results are reused this long
    deadline: float = 3.0           # a whole run takes at most this long
    anonymous: str = "statuses"     # what anonymous callers get: statuses, overall or deny (401)
    max_workers: int = 32           # threads running sync checks, per process
    history_size: int = 60          # latency samples kept per service
    # SHA-256 digests of the API keys: the keys themselves are not kept here.
    api_key_digests: tuple[bytes, ...] = field(default=(), repr=False)
    services: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One invalid setting: a system check ID, the variable it concerns and a message."""

    id: str
    variable: str
    message: str


def key_digest(key: str) -> bytes:
    """The digest API keys are compared by: equal lengths, so the comparison leaks nothing."""
    return hashlib.sha256(key.encode()).digest()


def parse_settings(raw: object) -> tuple[DashboardSettings, list[Problem]]:
    """Settings from `raw` (``settings.HEALTHDASH``) and every problem found, defaults kept for those."""
    if not isinstance(raw, Mapping):
        return DashboardSettings(), [Problem("healthdash.E010", "HEALTHDASH", "must be a dict, got "
                                             f"{type(raw).__name__}")]
    problems: list[Problem] = []
    values = {
        "cache_seconds": _number(raw, "HEALTH_CACHE_SECONDS", "healthdash.E001", 0.0, problems),
        "deadline": _number(raw, "HEALTH_DEADLINE", "healthdash.E002", 0.001, problems),
        "anonymous": _choice(raw, "HEALTH_ANONYMOUS", "healthdash.E003", ANONYMOUS_MODES, problems),
        "max_workers": _whole(raw, "HEALTH_MAX_WORKERS", "healthdash.E004", problems),
        "api_key_digests": _api_keys(raw, problems),
        "services": _services(raw, problems),
        "history_size": _whole(raw, "HISTORY_SIZE", "healthdash.E008", problems),
    }
    for key in sorted(set(raw) - KNOWN_KEYS, key=str):
        problems.append(Problem("healthdash.E009", str(key), f"is not a setting of healthdash (known: "
                                                             f"{', '.join(sorted(KNOWN_KEYS))})"))
    return DashboardSettings(**{k: v for k, v in values.items() if v is not None}), problems


@functools.cache
def get_settings() -> DashboardSettings:
    """The current settings, parsed once; dropped when ``HEALTHDASH`` changes."""
    return parse_settings(getattr(settings, "HEALTHDASH", {}))[0]


def settings_problems() -> list[Problem]:
    """Problems of the current ``HEALTHDASH`` setting."""
    return parse_settings(getattr(settings, "HEALTHDASH", {}))[1]


def _number(raw, key, problem_id, minimum, problems) -> float | None:
    if key not in raw or raw[key] in ("", None):
        return None
    value = raw[key]
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or number != number or not minimum <= number < float("inf"):
        problems.append(Problem(problem_id, key, f"must be a number of seconds of at least {minimum:g}, "
                                                 f"got {value!r}"))
        return None
    return number


def _whole(raw, key, problem_id, problems) -> int | None:
    if key not in raw or raw[key] in ("", None):
        return None
    value = raw[key]
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool | float) or number is None or number < 1:
        problems.append(Problem(problem_id, key, f"must be a whole number of at least 1, got {value!r}"))
        return None
    return number


def _choice(raw, key, problem_id, choices, problems) -> str | None:
    if key not in raw or raw[key] in ("", None):
        return None
    value = raw[key]
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    problems.append(Problem(problem_id, key, f"must be one of {', '.join(choices)}, got {value!r}"))
    return None


def _api_keys(raw, problems) -> tuple[bytes, ...] | None:
    keys = raw.get("API_KEYS")
    if keys is None:
        return None
    if isinstance(keys, str):
        keys = keys.split(",")
    if not isinstance(keys, list | tuple | set | frozenset) or not all(isinstance(k, str) for k in keys):
        # Never the value itself: it is a secret.
        problems.append(Problem("healthdash.E005", "API_KEYS", "must be a list of strings (the values are not "
                                                              "shown)"))
        return None
    return tuple(key_digest(key.strip()) for key in keys if key.strip())


def _services(raw, problems) -> dict | None:
    services = raw.get("SERVICES")
    if services is None:
        return None
    if not isinstance(services, Mapping):
        problems.append(Problem("healthdash.E006", "SERVICES", "must be a dict of service name to an import "
                                                              f"string or a dict, got {type(services).__name__}"))
        return None
    parsed = {}
    for name, spec in services.items():
        entry = {"check": spec} if isinstance(spec, str) else spec
        if not isinstance(entry, Mapping) or not isinstance(entry.get("check"), str) \
                or set(entry) - {"check", "critical", "timeout", "description"}:
            problems.append(Problem("healthdash.E006", f"SERVICES[{name!r}]", "must be an import string or a dict "
                                    "with 'check' (an import string) and optionally 'critical', 'timeout', "
                                    "'description'"))
            continue
        parsed[str(name)] = dict(entry)
    return parsed
