"""Settings of healthdash: defaults in one dataclass, parsed from ``settings.HEALTHDASH``.

Keys are the operator variables' names (``HEALTH_CACHE_SECONDS``), whose values may be strings
or typed Python values; a variable missing from the dict is read from the environment, as every
setting of the project is (``observability.parsing``). Two keys are set in Python only:
``SERVICES`` and ``HISTORY_SIZE``. The keys that may see the dashboard's details are
observability's (``OBSERVABILITY["API_KEYS"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

from healthdash.url_checks import parse_url_checks
from observability.parsing import (
    Invalid,
    Problem,
    Reader,
    Running,
    Variable,
    as_choice,
    as_http_url,
    as_number,
    must,
)

SETTINGS_NAME = "HEALTHDASH"
ANONYMOUS_MODES = ("statuses", "overall", "deny")
SERVICE_KEYS = frozenset({"check", "critical", "timeout", "description", "tags"})


@dataclass(frozen=True)
class DashboardSettings:
    """The validated settings of healthdash; the defaults are the ones below."""

    cache_seconds: float = 5.0      # results are reused this long
    deadline: float = 3.0           # a whole run takes at most this long
    anonymous: str = "statuses"     # what anonymous callers get: statuses, overall or deny (401)
    max_workers: int = 32           # threads running sync checks, per process
    history_size: int = 60          # latency samples kept per service
    drain_seconds: float = 5.0      # after SIGTERM, readiness says draining this long before the server stops
    heartbeat_seconds: float = 10.0  # each process records itself this often; stale after 3 missed, gone after 10
    service_version: str = "unknown"  # the version each process reports in the fleet
    url_checks: Mapping[str, str] = field(default_factory=dict, repr=False)  # name -> URL (may hold credentials)
    check_timeout: float = 2.0      # seconds a URL check waits for its answer
    services: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # The fleet's history of status changes and its webhook (healthdash.history, healthdash.notifications).
    history_days: int = 14          # transitions are kept this long
    webhook_url: str = ""           # notified of each change that held; "": no notifications
    webhook_format: str = "json"    # json, or slack (a "text" field)
    notify_after: int = 3           # runs a new status must hold before it is notified


def seconds(minimum: float, meaning: str):
    """A parser of seconds no fewer than `minimum`."""
    def parse(value: object, name: str) -> float:
        number = as_number(value)
        if number is None or number < minimum:
            raise Invalid(must(name, f"a number of seconds of at least {minimum:g}", value),
                          hint=f"Set {name} to {meaning}.")
        return number
    return parse


def bounded_seconds(maximum: float, meaning: str):
    """A parser of seconds from 0 to `maximum`."""
    def parse(value: object, name: str) -> float:
        number = as_number(value)
        if number is None or not 0 <= number <= maximum:
            raise Invalid(must(name, f"a number of seconds from 0 to {maximum:g}", value),
                          hint=f"Set {name} to {meaning}.")
        return number
    return parse


def whole(meaning: str):
    """A parser of whole numbers of at least 1."""
    def parse(value: object, name: str) -> int:
        number = as_number(value, int)
        if number is None or number < 1:
            raise Invalid(must(name, "a whole number of at least 1", value), hint=f"Set {name} to {meaning}.")
        return number
    return parse


def anonymous(value: object, name: str) -> str:
    choice = as_choice(value, ANONYMOUS_MODES)
    if choice is None:
        raise Invalid(must(name, f"one of {', '.join(ANONYMOUS_MODES)}", value))
    return choice


def version(value: object, name: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 128 or not text.isprintable():
        raise Invalid(must(name, "a version of 1 to 128 printable characters", value),
                      hint=f"Set {name} to the version deployed, for example 1.4.2 or a commit hash.")
    return text


def services(value: object, name: str) -> dict:
    if not isinstance(value, Mapping):
        raise Invalid(f"{name} must be a dict of service name to an import string or a dict, got "
                      f"{type(value).__name__}.")
    return value


WEBHOOK_FORMATS = ("json", "slack")


def webhook_url(value: object, name: str) -> str:
    # The value is never shown: a webhook URL carries its token in the path (Slack's do).
    if as_http_url(value) is None:
        raise Invalid(f"{name} must be an http:// or https:// URL with a host (the value is not shown: it may "
                      "hold a token).", hint=f"Set {name} to the URL that receives the POSTs, or leave it empty.")
    return value.strip()


def webhook_format(value: object, name: str) -> str:
    choice = as_choice(value, WEBHOOK_FORMATS)
    if choice is None:
        raise Invalid(must(name, f"one of {', '.join(WEBHOOK_FORMATS)}", value),
                      hint=f"Set {name} to json (the default) or slack.")
    return choice


VARIABLES = (
    Variable("HEALTH_CACHE_SECONDS", "cache_seconds", seconds(0.0, "the seconds results are reused, for example 5 "
                                                                   "(0: no caching)"), "healthdash.E001"),
    Variable("HEALTH_DEADLINE", "deadline", seconds(0.001, "the seconds a whole run may take, for example 3"),
             "healthdash.E002"),
    Variable("HEALTH_ANONYMOUS", "anonymous", anonymous, "healthdash.E003",
             "Set HEALTH_ANONYMOUS to statuses (the default), overall, or deny."),
    Variable("HEALTH_MAX_WORKERS", "max_workers", whole("the number of threads for checks, for example 32"),
             "healthdash.E004"),
    Variable("HEALTH_DRAIN_SECONDS", "drain_seconds",
             bounded_seconds(600, "the seconds a stopping server keeps serving while its readiness says draining, "
                                  "for example 5 (0: stop at once)"), "healthdash.E020"),
    Variable("HEALTH_HEARTBEAT_SECONDS", "heartbeat_seconds",
             seconds(0.5, "how often each process records itself in the fleet, for example 10"),
             "healthdash.E030"),
    Variable("SERVICE_VERSION", "service_version", version, "healthdash.E031"),
    Variable("HEALTH_URL_CHECKS", "url_checks", parse_url_checks, "healthdash.E032"),
    Variable("HEALTH_CHECK_TIMEOUT", "check_timeout",
             seconds(0.001, "the seconds a URL check waits for its answer, for example 2"), "healthdash.E035"),
    Variable("HISTORY_SIZE", "history_size", whole("the samples kept per service, for example 60"),
             "healthdash.E008", environment=False),
    Variable("SERVICES", "services", services, "healthdash.E006",
             "Write HEALTHDASH['SERVICES'] as {'name': 'package.module.check'}.", environment=False),
    Variable("HEALTH_HISTORY_DAYS", "history_days", whole("the days status changes are kept, for example 14"),
             "healthdash.E040"),
    Variable("HEALTH_WEBHOOK_URL", "webhook_url", webhook_url, "healthdash.E041"),
    Variable("HEALTH_WEBHOOK_FORMAT", "webhook_format", webhook_format, "healthdash.E042"),
    Variable("HEALTH_NOTIFY_AFTER", "notify_after",
             whole("the consecutive runs a new status must hold before it is notified, for example 3"),
             "healthdash.E043"),
)
KNOWN_KEYS = frozenset(variable.name for variable in VARIABLES)


def parse_settings(raw: object, environ: Mapping[str, str] | None = None) -> tuple[DashboardSettings, list[Problem]]:
    """Settings from `raw` (``settings.HEALTHDASH``) and the environment, with every problem found."""
    if not isinstance(raw, Mapping):
        return DashboardSettings(), [Problem("healthdash.E010", SETTINGS_NAME, f"HEALTHDASH must be a dict, got "
                                             f"{type(raw).__name__}.", "Set HEALTHDASH to a dict, or remove it.")]
    r = Reader(raw, environ, SETTINGS_NAME)
    for variable in VARIABLES:
        r.read(variable)
    if "services" in r.values:
        r.values["services"] = _services(r.values["services"], r.problems)
    for key in sorted(set(raw) - KNOWN_KEYS, key=str):
        r.problem("healthdash.E009", str(key), f"{key} is not a setting of healthdash (known: "
                  f"{', '.join(sorted(KNOWN_KEYS))}).", "Remove the key or correct its spelling; "
                  "API keys are OBSERVABILITY['API_KEYS'].")
    return DashboardSettings(**r.values), r.problems


def _as_set(name: str) -> object:
    """``settings.HEALTHDASH`` as written, a mapping or not: anything else is healthdash.E010."""
    return getattr(settings, name, {})


RUNNING = Running(SETTINGS_NAME, parse_settings, raw=_as_set)


def get_settings() -> DashboardSettings:
    """The current settings, parsed once; dropped when ``HEALTHDASH`` changes."""
    return RUNNING.config()


def settings_problems() -> list[Problem]:
    """Problems of the current ``HEALTHDASH`` setting."""
    return RUNNING.problems()


def _services(services: Mapping, problems: list[Problem]) -> dict:
    parsed = {}
    for name, spec in services.items():
        entry = {"check": spec} if isinstance(spec, str) else spec
        if not isinstance(entry, Mapping) or not isinstance(entry.get("check"), str) or set(entry) - SERVICE_KEYS:
            problems.append(Problem("healthdash.E011", f"SERVICES[{name!r}]", f"SERVICES[{name!r}] must be an import "
                                    "string or a dict with 'check' (an import string) and optionally 'critical', "
                                    "'timeout', 'description', 'tags'.", "For example {'check': "
                                    "'package.module.check', 'critical': False, 'timeout': 1.0, 'tags': ['ready']}."))
            continue
        parsed[str(name)] = dict(entry)
    return parsed
