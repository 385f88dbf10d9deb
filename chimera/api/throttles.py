"""Throttling of the generate endpoint, at ``CHIMERA_THROTTLE_RATE`` per API key."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from chimera.conf import get_service_config


class GenerateRateThrottle(SimpleRateThrottle):
    """Per-key rate limit; the rate is read live, so ``override_settings`` applies."""

    scope = "chimera_generate"

    def get_rate(self) -> str | None:
        """The configured rate, or None when throttling is off."""
        return get_service_config().throttle_rate

    def get_cache_key(self, request, view) -> str:
        """Keyed by the API key's digest, or by client address for anyone else."""
        ident = request.auth if isinstance(request.auth, str) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
