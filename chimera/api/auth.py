"""API-key authentication: ``X-API-Key`` against ``settings.CHIMERA_API_KEYS``, in constant time."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

HEADER = "X-API-Key"
META_KEY = "HTTP_X_API_KEY"


@dataclass(frozen=True)
class ApiKeyUser:
    """The caller behind a valid key; `key_id` is a digest, so it can key throttling safely."""

    key_id: str
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __str__(self) -> str:
        return f"api-key {self.key_id[:8]}"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def configured_keys() -> list[str]:
    """The accepted keys, read live; empty entries never count as a key."""
    return [key.strip() for key in getattr(settings, "CHIMERA_API_KEYS", []) if key and key.strip()]


def key_is_valid(candidate: str, keys: list[str]) -> bool:
    """Whether `candidate` is one of `keys`: every key compared, digests of equal length."""
    given = _digest(candidate)
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, _digest(key))
    return matched and bool(candidate)


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates by ``X-API-Key``; a missing header leaves the caller anonymous (401 later)."""

    def authenticate(self, request) -> tuple[ApiKeyUser, str] | None:
        """(user, key_id) for a valid key, None without the header, 401 for a wrong key."""
        candidate = request.META.get(META_KEY)
        if candidate is None:
            return None
        if not key_is_valid(candidate, configured_keys()):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        key_id = _digest(candidate).hex()
        return ApiKeyUser(key_id), key_id

    def authenticate_header(self, request) -> str:
        """Makes DRF answer 401 (not 403) and say which header to send."""
        return f'ApiKey header="{HEADER}"'
