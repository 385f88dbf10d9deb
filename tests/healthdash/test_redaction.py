"""Secrets never leave: masking of configured secrets and credential-shaped text."""

from __future__ import annotations

import pytest

from healthdash.reasons import is_timeout, reason_for, safe_traceback
from healthdash.redaction import configured_secrets, redact, redact_tree


@pytest.mark.parametrize(("text", "expected"), [
    ("postgres://app:s3cr3t@db:5432/app", "postgres://app:***@db:5432/app"),
    ("redis://:pw@cache:6379/0 and rediss://u:p@x", "redis://:***@cache:6379/0 and rediss://u:***@x"),
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("PASSWORD: 'quoted secret'", "PASSWORD: ***"),
    ("api_key=abc123&x=1", "api_key=***&x=1"),
    ("connection refused", "connection refused"),
])
def test_credential_shaped_text_is_masked(text, expected):
    assert redact(text) == expected


def test_configured_secrets_are_masked_wherever_they_appear(settings):
    settings.HEALTHDASH = {"API_KEYS": ["key-aaaa-1111"]}
    settings.CACHES = {**settings.CACHES, "r": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                "LOCATION": "redis://:cache%2Fpw@h:6379/0",
                                                "OPTIONS": {"password": "opt-pass-42"}}}
    settings.OBSERVABILITY = {"TRACING_HEADERS": "authorization=Bearer tok-777,x-team=team-888"}
    assert {"key-aaaa-1111", "cache/pw", "cache%2Fpw", "opt-pass-42", "Bearer tok-777", "team-888"} <= set(
        configured_secrets())
    assert redact("got key-aaaa-1111 and team-888 and opt-pass-42") == "got *** and *** and ***"


def test_short_values_are_not_treated_as_secrets(settings):
    settings.HEALTHDASH = {"API_KEYS": ["abc"]}
    assert "abc" not in configured_secrets()


def test_tree_masks_secret_keys_and_converts_to_json_types():
    tree = redact_tree({"password": "x", "db_password": 1, "authentication": "active", "items": ({"token": "t"},),
                        "n": 1.5, "ok": True, "none": None, 3: "three"})
    assert tree == {"password": "***", "db_password": "***", "authentication": "active", "items": [{"token": "***"}],
                    "n": 1.5, "ok": True, "none": None, "3": "three"}


def test_reasons():
    assert reason_for(TimeoutError()) == "timeout"
    assert reason_for(ValueError("bad\nmore")) == "ValueError: bad"
    assert reason_for(ValueError()) == "ValueError"
    assert len(reason_for(ValueError("x" * 1000))) == 300


def test_a_timeout_raised_from_another_error_is_a_timeout():
    class ConnectionTimeout(Exception):
        pass

    try:
        try:
            raise ConnectionTimeout("connect timed out")
        except ConnectionTimeout as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert is_timeout(wrapped)
        assert "ConnectionTimeout" in safe_traceback(wrapped)
    assert not is_timeout(ValueError("late"))
