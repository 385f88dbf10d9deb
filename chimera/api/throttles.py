"""Throttling of the generate endpoint, at ``CHIMERA_THROTTLE_RATE`` per API key."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from chimera.conf import get_service_config
from observability.api_keys import ApiKey


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
