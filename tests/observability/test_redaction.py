"""Secrets never leave: one way to write a URL, masking of configured secrets and credential-shaped text."""

from __future__ import annotations

import pytest

from observability.redaction import add_secret_source, configured_secrets, mask_url, redact, redact_tree


@pytest.mark.parametrize(("text", "expected"), [
    ("postgres://app:s3cr3t@db:5432/app", "postgres://app:***@db:5432/app"),
    ("redis://:pw@cache:6379/0 and rediss://u:p@x", "redis://:***@cache:6379/0 and rediss://u:***@x"),
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("PASSWORD: 'quoted secret'", "PASSWORD: ***"),
    ("api_key=abc123&x=1", "api_key=***&x=1"),
    ("connection refused", "connection refused"),
    ("POST https://collector:4318/v1/traces?token=QueryTok3n88 failed",
     "POST https://collector:4318/v1/traces?token=*** failed"),
])
def test_credential_shaped_text_is_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://app:s3cr3t@db:5432/app", "postgres://app:***@db:5432/app"),
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("https://user@host/path", "https://user@host/path"),
    ("https://host/v1/traces?token=abc&tenant=x#frag", "https://host/v1/traces?token=***&tenant=***"),
    ("https://host/x?flag", "https://host/x?flag=***"),
    ("http://[::1/x", "<unparsable URL>"),
    ("sqlite:////var/db.sqlite3", "sqlite:////var/db.sqlite3"),
])
def test_mask_url(url, expected):
    assert mask_url(url) == expected


def test_configured_secrets_are_masked_wherever_they_appear(settings):
    settings.CACHES = {**settings.CACHES, "r": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                "LOCATION": "redis://:cache%2Fpw@h:6379/0",
                                                "OPTIONS": {"password": "opt-pass-42"}}}
    settings.OBSERVABILITY = {"TRACING_HEADERS": "authorization=Bearer tok-777,x-team=team-888",
                              "API_KEYS": ["key-aaaa-1111"]}
    assert {"key-aaaa-1111", "cache/pw", "cache%2Fpw", "opt-pass-42", "Bearer tok-777", "team-888"} <= set(
        configured_secrets())
    assert redact("got key-aaaa-1111 and team-888 and opt-pass-42") == "got *** and *** and ***"


def test_short_values_are_not_treated_as_secrets(settings):
    settings.OBSERVABILITY = {"API_KEYS": ["abc"]}
    assert "abc" not in configured_secrets()


def test_apps_add_secrets_of_their_own(settings):
    values = ["provider-key-5150"]
    add_secret_source(lambda: values, "CHIMERA_SERVICE")
    assert redact("sent provider-key-5150") == "sent ***"
    values[:] = ["other-key-6160"]
    settings.CHIMERA_SERVICE = {}  # the source is asked again when its settings change
    assert redact("sent other-key-6160") == "sent ***"


def test_tree_masks_secret_keys_and_converts_to_json_types():
    tree = redact_tree({"password": "x", "db_password": 1, "authentication": "active", "items": ({"token": "t"},),
                        "n": 1.5, "ok": True, "none": None, 3: "three"})
    assert tree == {"password": "***", "db_password": "***", "authentication": "active", "items": [{"token": "***"}],
                    "n": 1.5, "ok": True, "none": None, "3": "three"}
