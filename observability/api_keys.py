"""API keys of machine callers: one rule for every endpoint of the project that takes a key.

A key comes in ``X-API-Key: <key>`` or ``Authorization: Bearer <key>`` (what Prometheus and most
HTTP clients send); an empty header counts as no key at all. Keys are compared as SHA-256
digests, each against every configured key, so the time taken tells nothing about a key.
The keys are ``OBSERVABILITY["API_KEYS"]``. Wrong keys are limited per client address
(``observability.auth_failures``): past ``API_KEY_FAILURE_RATE`` they get 429 with
``Retry-After`` instead of 401; a valid key always passes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from observability import auth_failures
from observability.parsing import SECRET, Invalid, Problem, Reader, Running, Variable

__all__ = [
    "APIKeys", "ApiKey", "ApiKeyAuthentication", "ApiKeyUser", "HEADER", "api_key_digests", "api_key_problems",
    "check_key", "digests", "is_authorized", "key_digest", "key_is_valid", "parse_api_keys", "presented_key",
]

HEADER = "X-API-Key"
META_KEY = "HTTP_X_API_KEY"
BEARER = "bearer"
KEY_ID_LENGTH = 16
SETTINGS_NAME = "OBSERVABILITY"

# --- The configured keys ----------------------------------------------------------------------


def key_digest(key: str) -> bytes:
    """The digest keys are compared by: equal lengths, so comparing leaks nothing of the key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def digests(keys: object, name: str) -> tuple[bytes, ...]:
    """Digests of a list of keys, or of a comma-separated string; the keys themselves are not kept."""
    if isinstance(keys, str):
        keys = keys.split(",")
    if not isinstance(keys, list | tuple | set | frozenset) or not all(isinstance(k, str) for k in keys):
        raise Invalid(f"{name} must be a list of strings, got {SECRET}.")  # never the value: it is a secret
    return tuple(key_digest(key.strip()) for key in keys if key.strip())


@dataclass(frozen=True)
class APIKeys:
    digests: tuple[bytes, ...] = ()


API_KEYS = Variable("API_KEYS", "digests", digests, "observability.E006",
                    "Give OBSERVABILITY['API_KEYS'] a list of keys (chimera fills it from CHIMERA_API_KEYS).",
                    environment=False)


def parse_api_keys(raw: Mapping[str, object]) -> tuple[tuple[bytes, ...], list[Problem]]:
    """Digests of ``API_KEYS`` and its problem, if any."""
    r = Reader(raw, {}, SETTINGS_NAME)
    r.read(API_KEYS)
    return APIKeys(**r.values).digests, r.problems


API_KEYS_RUNNING = Running(SETTINGS_NAME, parse_api_keys)


def api_key_digests() -> tuple[bytes, ...]:
    """Digests of the keys that may call the apps' operational endpoints (dashboard details, metrics)."""
    return API_KEYS_RUNNING.config()


def api_key_problems() -> list[Problem]:
    """Problems found in ``API_KEYS``."""
    return API_KEYS_RUNNING.problems()


@dataclass(frozen=True)
class ApiKey:
    """``request.auth`` of a caller with a valid key: an ID derived from the key, never the key."""

    key_id: str


@dataclass(frozen=True)
class ApiKeyUser:
    """``request.user`` of a caller with a valid key: authenticated, never staff."""

    key_id: str
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __str__(self) -> str:
        return f"api-key {self.key_id[:8]}"


def presented_key(request) -> str | None:
    """The key a request carries (``X-API-Key``, else a bearer token), or None; empty means none."""
    key = request.META.get(META_KEY, "").strip()
    if key:
        return key
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != BEARER:
        return None
    return token.strip() or None


def key_is_valid(candidate: str) -> bool:
    """Whether `candidate` is a configured key: compared with every key, as digests of equal length."""
    digest = key_digest(candidate)
    valid = False
    for known in api_key_digests():
        valid |= hmac.compare_digest(digest, known)
    return valid


def check_key(request) -> ApiKey | None:
    """The request's valid key, None without one; a wrong key raises 401, or 429 past the failure limit."""
    candidate = presented_key(request)
    if candidate is None:
        return None
    if not key_is_valid(candidate):
        wait = auth_failures.record_failure(request)
        if wait is not None:
            raise Throttled(wait, detail=f"Too many wrong API keys from this address; try again in {wait} seconds.")
        raise AuthenticationFailed("Invalid API key.")
    return ApiKey(key_digest(candidate).hex()[:KEY_ID_LENGTH])


class ApiKeyAuthentication(BaseAuthentication):
    """DRF authentication by API key; a key that is sent and wrong is a 401, never anonymous access."""

    def authenticate(self, request) -> tuple[ApiKeyUser, ApiKey] | None:
        """(user, auth) for a valid key, None without a key, 401 (or 429) for a wrong one."""
        key = check_key(request)
        return None if key is None else (ApiKeyUser(key.key_id), key)

    def authenticate_header(self, request) -> str:
        """Makes DRF answer 401 (not 403) and say which header to send."""
        return f'ApiKey header="{HEADER}"'


def is_authorized(request) -> bool:
    """Whether the caller may see operational details: a valid API key, or an active staff user."""
    if isinstance(getattr(request, "auth", None), ApiKey):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and (user.is_staff or user.is_superuser))
