"""Throttling of the generate endpoint, at ``CHIMERA_THROTTLE_RATE`` per API key.

Counted in the Django cache; when the cache is down throttling fails open (the request is
served) and says so in a WARNING at most once a minute (``observability.fail_open``).
"""

from __future__ import annotations

from functools import partial

from rest_framework.throttling import SimpleRateThrottle

from chimera.conf import get_service_config
from observability.api_keys import ApiKey
from observability.fail_open import CacheGuard

cache_guard = CacheGuard("Throttling of POST /api/v1/generate")


class GenerateRateThrottle(SimpleRateThrottle):
    """Per-key rate limit; the rate is read live, so ``override_settings`` applies."""

    scope = "chimera_generate"

    def get_rate(self) -> str | None:
        """The configured rate, or None when throttling is off."""
        return get_service_config().throttle_rate

    def get_cache_key(self, request, view) -> str:
        """Keyed by the API key's ID, or by client address for anyone else."""
        ident = request.auth.key_id if isinstance(request.auth, ApiKey) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        """DRF's decision, or True while the cache cannot be reached."""
        return cache_guard.call(partial(super().allow_request, request, view), True)
