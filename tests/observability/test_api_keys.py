"""API keys: where a key may come from, constant-time comparison, and who sees details."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from observability import api_keys
from observability.api_keys import ApiKey, ApiKeyAuthentication, is_authorized, presented_key

KEY = "obs-test-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def keys(use_api_keys):
    use_api_keys("other-key-fedcba9876543210", KEY)


def request(**headers):
    return APIRequestFactory().get("/", **headers)


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, None),
    ({"HTTP_X_API_KEY": KEY}, KEY),
    ({"HTTP_X_API_KEY": f"  {KEY} "}, KEY),
    ({"HTTP_X_API_KEY": ""}, None),
    ({"HTTP_X_API_KEY": "   "}, None),
    ({"HTTP_AUTHORIZATION": f"Bearer {KEY}"}, KEY),
    ({"HTTP_AUTHORIZATION": f"bearer   {KEY}"}, KEY),
    ({"HTTP_AUTHORIZATION": "Bearer "}, None),
    ({"HTTP_AUTHORIZATION": f"Basic {KEY}"}, None),
    ({"HTTP_X_API_KEY": KEY, "HTTP_AUTHORIZATION": "Bearer other"}, KEY),
])
def test_where_a_key_comes_from(headers, expected):
    assert presented_key(request(**headers)) == expected


def test_a_valid_key_authenticates_without_keeping_the_key():
    user, auth = ApiKeyAuthentication().authenticate(request(HTTP_AUTHORIZATION=f"Bearer {KEY}"))
    assert user.is_authenticated and not user.is_staff
    assert isinstance(auth, ApiKey) and KEY not in repr(auth) and KEY not in str(user)
    assert auth.key_id == ApiKeyAuthentication().authenticate(request(HTTP_X_API_KEY=KEY))[1].key_id


@pytest.mark.parametrize("headers", [{"HTTP_X_API_KEY": "wrong"}, {"HTTP_AUTHORIZATION": f"Bearer {KEY}x"}])
def test_a_wrong_key_is_a_401_never_anonymous(headers):
    with pytest.raises(AuthenticationFailed):
        ApiKeyAuthentication().authenticate(request(**headers))


def test_no_key_leaves_the_caller_to_other_authentication():
    assert ApiKeyAuthentication().authenticate(request(HTTP_X_API_KEY="")) is None


def test_comparison_looks_at_every_key(monkeypatch):
    compared = []
    real = api_keys.hmac.compare_digest
    monkeypatch.setattr(api_keys.hmac, "compare_digest", lambda a, b: compared.append(b) or real(a, b))
    assert api_keys.key_is_valid(KEY) is True
    assert len(compared) == 2  # no early exit on a match


def test_keys_are_kept_as_digests_only(settings):
    from observability.api_keys import api_key_digests

    assert all(isinstance(d, bytes) and len(d) == 32 for d in api_key_digests())
    settings.OBSERVABILITY = {"API_KEYS": "a-key-1, a-key-2,"}
    assert len(api_key_digests()) == 2


def test_who_is_authorized(django_user_model):
    anonymous = request()
    anonymous.user, anonymous.auth = AnonymousUser(), None
    assert not is_authorized(anonymous)
    keyed = request()
    keyed.user, keyed.auth = AnonymousUser(), ApiKey("abc")
    assert is_authorized(keyed)
    staff = request()
    staff.user, staff.auth = django_user_model(username="s", is_staff=True, is_active=True), None
    assert is_authorized(staff)
    staff.user.is_active = False
    assert not is_authorized(staff)
