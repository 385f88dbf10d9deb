"""``REDACTION_SAFE_QUERY_KEYS``: the query keys whose values logs and spans may show.

Every other query value is masked (``observability.redaction``): OpenTelemetry's instrumentation
masks only a few signature keys, and a key's name says too little about its value for a
deny-list to be safe. The default masks them all; an operator names the keys that carry
nothing secret (``page,per_page,lang``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

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
    """The query keys whose values logs and spans show; none before Django's settings are loaded.

    Never loads the settings itself: gunicorn's master redacts its own lines too, and loading the
    project there would read ``.env`` into the master's environment, which every later check of
    the configuration (a reload's) would then inherit instead of reading the file again.
    """
    global _settings_loaded
    if not _settings_loaded:  # settings.configured costs ten times the cached configuration: asked until true
        if not settings.configured:
            return frozenset()
        _settings_loaded = True
    return RUNNING.config().safe_query_keys


_settings_loaded = False


def redaction_problems() -> list[Problem]:
    """Problems of ``REDACTION_SAFE_QUERY_KEYS``."""
    return RUNNING.problems()
