"""Failed API-key authentication, limited per client address: past the limit a wrong key gets 429.

``OBSERVABILITY["API_KEY_FAILURE_RATE"]`` (``API_KEY_FAILURE_RATE``, default ``10/min``; ``off``
turns it off) is how many wrong keys one address may send per period. Failures are counted in
the Django cache, in a window that starts with the first failure. A valid key is never
counted nor refused, whatever its address sent before; while the cache is down the limit
steps aside (``observability.fail_open``) and authentication goes on.

Failed logins count the same way (the ``user_login_failed`` signal), and the admin site refuses a
login from an address past the limit before it checks the password (``healthdash.admin_site``).
An IPv6 client is counted per /64, the smallest network a site is given, so one host cannot step
through the addresses of its own network. A request forwarded by a trusted proxy
(``observability.proxies``) counts against the proxy too, which may forward ``PROXY_SHARE`` times
one address's limit: a host among ``TRUSTED_PROXIES`` that writes a new ``X-Forwarded-For`` each
time is stopped there. Only a failure not refused for its own address counts for the proxy, so one
client alone cannot use up its proxy's share.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from observability.fail_open import CacheGuard
from observability.parsing import Invalid, Problem, Reader, Running, Variable, as_rate, must
from observability.proxies import PROXY_META

__all__ = [
    "FAILURE_RATE", "count_failed_login", "failure_rate", "failure_rate_problems", "parse_failure_rate",
    "record_failure", "refusal_wait",
]

SETTINGS_NAME = "OBSERVABILITY"
DEFAULT_RATE = (10, 60)
DISABLED = frozenset({"off", "none", "0"})
KEY_PREFIX = "observability:auth-failures:"
# How many times one address's failures a trusted proxy may forward in a period: it speaks for many
# clients, and a tripped proxy refuses only wrong keys and logins, never a valid key.
PROXY_SHARE = 10
IPV6_BUCKET_PREFIX = 64

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


def bucket(address: str) -> str:
    """What one client's failures are counted under: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_BUCKET_PREFIX}", strict=False))
    return str(ip)


def _limits(request: Any, limit: int) -> list[tuple[str, int]]:
    """(cache key, failures allowed) of the request's address and, when one forwarded it, its proxy."""
    limits = [(KEY_PREFIX + bucket(request.META.get("REMOTE_ADDR", "")), limit)]
    proxy = request.META.get(PROXY_META)
    if proxy is not None:
        limits.append((KEY_PREFIX + "proxy:" + bucket(proxy), limit * PROXY_SHARE))
    return limits


def record_failure(request: Any) -> int | None:
    """Count a wrong key or password from the request's address; the seconds to wait once it is over the limit."""
    rate = failure_rate()
    if rate is None:
        return None
    limit, seconds = rate
    (own_key, own_limit), *proxy = _limits(request, limit)

    def count(key: str) -> int:
        cache.add(key, 0, timeout=seconds)  # opens the window; a no-op while one is open
        try:
            return cache.incr(key)
        except ValueError:  # the window closed between add and incr
            cache.set(key, 1, timeout=seconds)
            return 1

    if cache_guard.call(lambda: count(own_key), 0) > own_limit:
        return seconds
    over = [cache_guard.call(lambda key=key: count(key), 0) > allowed for key, allowed in proxy]
    return seconds if any(over) else None


def refusal_wait(request: Any) -> int | None:
    """The seconds to wait when the request's address (or its proxy) has used up its failures; counts nothing."""
    rate = failure_rate()
    if rate is None:
        return None
    limits = _limits(request, rate[0])
    counts = cache_guard.call(lambda: cache.get_many([key for key, _ in limits]), {})
    return rate[1] if any(counts.get(key, 0) >= allowed for key, allowed in limits) else None


def count_failed_login(sender, credentials=None, request=None, **kwargs) -> None:
    """``user_login_failed`` receiver: a wrong password counts like a wrong key (when Django passed the request)."""
    if request is not None:
        record_failure(request)
