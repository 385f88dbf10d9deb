"""The ``cache`` services: set, get, compare and delete a unique key, on a client of the probe's own.

The probe builds its own cache object from ``CACHES[alias]`` with socket timeouts (for the
Redis and memcached backends Django and django-redis provide), so a server that accepts the
connection and never answers is given up on, and closes its connections afterwards. The key
has a short TTL, so it goes away even when the delete does not reach the server.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.utils.module_loading import import_string

from healthdash.status import CheckResult
from observability.compat.django import disconnect_redis_pools

KEY_PREFIX = "healthdash:probe:"
KEY_TTL = 10  # seconds
# OPTIONS that bound each backend's waits: (connect timeout, read/write timeout).
TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout", "socket_timeout"),
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
    "django.core.cache.backends.memcached.PyMemcacheCache": ("connect_timeout", "timeout"),
}


def probe_cache(params: Mapping, timeout: float) -> BaseCache:
    """A new cache object for a CACHES entry, its waits bounded by `timeout`."""
    params = copy.deepcopy(dict(params))
    backend = params.pop("BACKEND")
    location = params.pop("LOCATION", "")
    options = params.setdefault("OPTIONS", {})
    for name in TIMEOUT_OPTIONS.get(backend, ()):
        options[name] = min(options.get(name) or timeout, timeout)
    return import_string(backend)(location, params)


def close_cache(cache: BaseCache) -> None:
    """Close `cache` and, for Django's Redis backend, the connection pools it opened."""
    cache.close()
    disconnect_redis_pools(cache)


@dataclass(frozen=True)
class CacheProbe:
    """Check of one cache alias; `params` replaces ``CACHES[alias]`` (for tests)."""

    alias: str = "default"
    timeout: float = 2.0
    params: Mapping | None = field(default=None, repr=False, compare=False)

    def __call__(self) -> CheckResult:
        params = settings.CACHES[self.alias] if self.params is None else self.params
        cache = probe_cache(params, self.timeout)
        key, value = f"{KEY_PREFIX}{uuid.uuid4().hex}", uuid.uuid4().hex
        try:
            cache.set(key, value, timeout=KEY_TTL)
            read_back = cache.get(key)
            cache.delete(key)
        finally:
            close_cache(cache)
        details = {"alias": self.alias, "backend": params["BACKEND"].rsplit(".", 1)[-1]}
        if read_back != value:
            return CheckResult.degraded("the value read back differs from the value stored", **details)
        return CheckResult.up(**details)
