"""``REDACTION_SAFE_QUERY_KEYS``: the query keys whose values logs and spans may show.

Every other query value is masked (``observability.redaction``): OpenTelemetry's instrumentation
masks only a few signature keys, and a key's name says too little about its value for a
deny-list to be safe. The default masks them all; an operator names the keys that carry
nothing secret (``page,per_page,lang``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from observability.parsing import Invalid, Problem, Reader, Running, Variable, shown

SETTINGS_NAME = "OBSERVABILITY"
QUERY_KEY_SEPARATORS = frozenset("=&#?")


def query_keys(value: object, name: str) -> frozenset[str]:
    """A ``Variable`` parser: query keys, comma-separated (or a list), each without ``= & # ?`` or spaces."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset) or not all(isinstance(i, str) for i in items):
        raise Invalid(f"{name} must be a comma-separated list of query keys, got {shown(value)}.")
    keys = frozenset(item.strip() for item in items if item.strip())
    refused = sorted(key for key in keys if QUERY_KEY_SEPARATORS & set(key) or any(c.isspace() for c in key))
    if refused:
        raise Invalid(f"{name} must name query keys without '=', '&', '#', '?' or spaces, got {shown(refused[0])}.")
    return keys


@dataclass(frozen=True)
class Redaction:
    safe_query_keys: frozenset[str] = frozenset()  # every query value is masked


SAFE_QUERY_KEYS = Variable("REDACTION_SAFE_QUERY_KEYS", "safe_query_keys", query_keys, "observability.E070",
                           "Name the query keys whose values are never secret, comma-separated: page,per_page,lang.")


def parse_redaction(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                    ) -> tuple[Redaction, list[Problem]]:
    """The redaction settings and their problems."""
    r = Reader(raw, environ, SETTINGS_NAME)
    r.read(SAFE_QUERY_KEYS)
    return Redaction(**r.values), r.problems


RUNNING = Running(SETTINGS_NAME, parse_redaction)


def safe_query_keys() -> frozenset[str]:
    """The query keys whose values logs and spans show; none before Django's settings are loaded."""
    # Asked for every query written: the cached configuration first, since settings.configured
    # costs ten times as much.
    try:
        return RUNNING.config().safe_query_keys
    except ImproperlyConfigured:  # gunicorn's master, before the application is loaded
        return frozenset()


def redaction_problems() -> list[Problem]:
    """Problems of ``REDACTION_SAFE_QUERY_KEYS``."""
    return RUNNING.problems()
