"""Failed API-key authentication, limited per client address: past the limit a wrong key gets 429.

``OBSERVABILITY["API_KEY_FAILURE_RATE"]`` (``API_KEY_FAILURE_RATE``, default ``10/min``; ``off``
turns it off) is how many wrong keys one address may send per period. Failures are counted in
the Django cache, in a window that starts with the first failure. A valid key is never
counted nor refused, whatever its address sent before; while the cache is down the limit
steps aside (``observability.fail_open``) and authentication goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from observability.fail_open import CacheGuard
from observability.parsing import Invalid, Problem, Reader, Running, Variable, as_rate, must

SETTINGS_NAME = "OBSERVABILITY"
DEFAULT_RATE = (10, 60)
DISABLED = frozenset({"off", "none", "0"})
KEY_PREFIX = "observability:auth-failures:"

cache_guard = CacheGuard("The limit on failed API-key authentication")


def rate(value: object, name: str) -> tuple[int, int] | bool:
    """``(failures, seconds)``, or False for ``off``."""
    if isinstance(value, str) and value.strip().lower() in DISABLED:
        return False
    parsed = as_rate(value)
    if parsed is not None and parsed[0] >= 1:
        return parsed
    raise Invalid(must(name, "a rate such as 10/min", value))


@dataclass(frozen=True)
class FailureLimit:
    rate: tuple[int, int] | bool = DEFAULT_RATE  # False: off


FAILURE_RATE = Variable("API_KEY_FAILURE_RATE", "rate", rate, "observability.E081",
                        "Write failures/period with period s, min, hour or day; off turns the limit off.")


def parse_failure_rate(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                       ) -> tuple[tuple[int, int] | None, list[Problem]]:
    """``(failures, seconds)`` of ``API_KEY_FAILURE_RATE``, None when off; the default when unset."""
    r = Reader(raw, environ, SETTINGS_NAME)
    r.read(FAILURE_RATE)
    return FailureLimit(**r.values).rate or None, r.problems


RUNNING = Running(SETTINGS_NAME, parse_failure_rate)


def failure_rate() -> tuple[int, int] | None:
    """The running limit: ``(failures, seconds)``, or None when off."""
    return RUNNING.config()


def failure_rate_problems() -> list[Problem]:
    """Problems of ``API_KEY_FAILURE_RATE``."""
    return RUNNING.problems()


def record_failure(request: Any) -> int | None:
    """Count a wrong key from the request's address; the seconds to wait once it is over the limit."""
    rate = failure_rate()
    if rate is None:
        return None
    limit, seconds = rate
    key = KEY_PREFIX + request.META.get("REMOTE_ADDR", "")

    def count() -> int:
        cache.add(key, 0, timeout=seconds)  # opens the window; a no-op while one is open
        try:
            return cache.incr(key)
        except ValueError:  # the window closed between add and incr
            cache.set(key, 1, timeout=seconds)
            return 1

    return seconds if cache_guard.call(count, 0) > limit else None
