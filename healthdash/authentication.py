"""API keys for the dashboard's details: header ``X-API-Key``, compared in constant time."""

from __future__ import annotations

import hmac

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from healthdash.conf import get_settings, key_digest

HEADER = "X-API-Key"
META_KEY = "HTTP_X_API_KEY"


class ApiKeyAccess:
    """``request.auth`` of a caller with a valid API key; it does not hold the key."""

    def __repr__(self) -> str:
        return "ApiKeyAccess()"


def api_key_is_valid(candidate: str) -> bool:
    """Whether `candidate` is one of the configured keys; compares with every key, equal lengths."""
    digest = key_digest(candidate)
    valid = False
    for known in get_settings().api_key_digests:
        valid |= hmac.compare_digest(digest, known)
    return valid


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates ``X-API-Key``; a key that is sent and wrong is a 401, not anonymous access."""

    def authenticate(self, request):
        candidate = request.META.get(META_KEY, "")
        if not candidate:
            return None
        if not api_key_is_valid(candidate):
            raise AuthenticationFailed("Invalid API key.")
        return AnonymousUser(), ApiKeyAccess()

    def authenticate_header(self, request) -> str:
        return f'ApiKey header="{HEADER}"'
