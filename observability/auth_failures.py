"""Failed API-key authentication, limited per client address: past the limit a wrong key gets 429.

``OBSERVABILITY["API_KEY_FAILURE_RATE"]`` (``API_KEY_FAILURE_RATE``, default ``10/min``; ``off``
turns it off) is how many wrong keys one address may send per period. Failures are counted in
the Django cache, in a window that starts with the first failure. A valid key is never
counted nor refused, whatever its address sent before; while the cache is down the limit
steps aside (``observability.fail_open``) and authentication goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.cache import cache

from observability.fail_open import CacheGuard
from observability.parsing import Problem, as_rate, cached_until_changed, setting_dict, shown

SETTINGS_NAME = "OBSERVABILITY"
DEFAULT_RATE = (10, 60)
DISABLED = frozenset({"off", "none", "0"})
KEY_PREFIX = "observability:auth-failures:"

cache_guard = CacheGuard("The limit on failed API-key authentication")


def parse_failure_rate(raw: Mapping[str, object]) -> tuple[tuple[int, int] | None, list[Problem]]:
    """``(failures, seconds)`` of ``API_KEY_FAILURE_RATE``, None when off; the default when unset."""
    value = raw.get("API_KEY_FAILURE_RATE")
    if value is None:
        return DEFAULT_RATE, []
    if isinstance(value, str) and value.strip().lower() in DISABLED:
        return None, []
    rate = as_rate(value)
    if rate is not None and rate[0] >= 1:
        return rate, []
    return DEFAULT_RATE, [Problem("observability.E081", "API_KEY_FAILURE_RATE",
                                  f"API_KEY_FAILURE_RATE must be a rate such as 10/min, got {shown(value)}.",
                                  "Write failures/period with period s, min, hour or day; off turns the limit off.")]


@cached_until_changed(SETTINGS_NAME)
def _parsed() -> tuple[tuple[int, int] | None, list[Problem]]:
    return parse_failure_rate(setting_dict(SETTINGS_NAME))


def failure_rate() -> tuple[int, int] | None:
    """The running limit: ``(failures, seconds)``, or None when off."""
    return _parsed()[0]


def failure_rate_problems() -> list[Problem]:
    """Problems of ``API_KEY_FAILURE_RATE``."""
    return list(_parsed()[1])


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
