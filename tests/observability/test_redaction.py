"""Secrets never leave: one way to write a URL, masking of configured secrets and credential-shaped text."""

from __future__ import annotations

import pytest

from observability.query_keys import parse_redaction
from observability.redaction import (
    add_secret_source,
    configured_secrets,
    mask_query,
    mask_url,
    redact,
    redact_tree,
    safe_query_keys,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("postgres://app:s3cr3t@db:5432/app", "postgres://app:***@db:5432/app"),
    ("redis://:pw@cache:6379/0 and rediss://u:p@x", "redis://:***@cache:6379/0 and rediss://u:***@x"),
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("PASSWORD: 'quoted secret'", "PASSWORD: ***"),
    ("api_key=abc123&x=1", "api_key=***&x=1"),
    ("connection refused", "connection refused"),
    ("POST https://collector:4318/v1/traces?token=QueryTok3n88 failed",
     "POST https://collector:4318/v1/traces?token=*** failed"),
    # Request targets in text: a request line, a request's repr, a connection pool's error.
    ('"GET /api/items/?id=42&sig=abc HTTP/1.1" 404 179', '"GET /api/items/?id=***&sig=*** HTTP/1.1" 404 179'),
    ("<WSGIRequest: GET '/x/?api_key=k-1&password=pw&q=hello'>",
     "<WSGIRequest: GET '/x/?api_key=***&password=***&q=***'>"),
    ("Max retries exceeded with url: /v1/metrics?tenant=acme-77 (Caused by",
     "Max retries exceeded with url: /v1/metrics?tenant=*** (Caused by"),
    ("Is the cache down? It said so.", "Is the cache down? It said so."),
])
def test_credential_shaped_text_is_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://app:s3cr3t@db:5432/app", "postgres://app:***@db:5432/app"),
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("https://user@host/path", "https://user@host/path"),
    ("https://host/v1/traces?token=abc&tenant=x#frag", "https://host/v1/traces?token=***&tenant=***"),
    ("https://host/x?sk-live-token-123", "https://host/x?***"),  # a value without a name, masked whole
    ("https://host/x?a=1&&b=%20two", "https://host/x?a=***&&b=***"),
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


@pytest.mark.parametrize(("query", "expected"), [
    ("page=2&key=k&page=3", "page=2&key=***&page=3"),
    ("per%5Fpage=10&Page=1", "per%5Fpage=10&Page=***"),  # keys compared decoded, and case matters
    ("page", "page"),
    ("token", "***"),
])
def test_values_of_safe_keys_are_kept(query, expected):
    assert mask_query(query, frozenset({"page", "per_page"})) == expected


def test_safe_query_keys_come_from_the_setting(settings):
    assert safe_query_keys() == frozenset()  # every value masked unless the operator says otherwise
    assert redact("GET /items/?page=2&token=t HTTP/1.1") == "GET /items/?page=***&token=*** HTTP/1.1"
    settings.OBSERVABILITY = {"REDACTION_SAFE_QUERY_KEYS": "page, lang"}
    assert safe_query_keys() == frozenset({"page", "lang"})
    assert redact("GET /items/?page=2&token=t HTTP/1.1") == "GET /items/?page=2&token=*** HTTP/1.1"
    assert redact("GET https://h/items/?page=2&token=t") == "GET https://h/items/?page=2&token=***"


@pytest.mark.parametrize("value", ["page,per page", "a=b", ["page", 3], "x&y"])
def test_a_safe_key_that_is_no_key_is_a_problem(value):
    config, problems = parse_redaction({"REDACTION_SAFE_QUERY_KEYS": value}, {})
    assert config.safe_query_keys == frozenset()
    assert [(p.id, p.variable) for p in problems] == [("observability.E070", "REDACTION_SAFE_QUERY_KEYS")]
    assert "REDACTION_SAFE_QUERY_KEYS" in problems[0].message


def test_broker_passwords_are_configured_secrets(settings):
    settings.CELERY_BROKER_URL = "redis://:broker-pass-4242@h:6379/0"
    settings.CELERY_RESULT_BACKEND = "redis://u:result%2Fpass@h:6379/1"
    assert {"broker-pass-4242", "result/pass", "result%2Fpass"} <= set(configured_secrets())
    assert redact("AUTH broker-pass-4242 refused") == "AUTH *** refused"


def test_the_metrics_endpoints_secrets_are_masked_wherever_they_appear(settings):
    settings.OBSERVABILITY = {"METRICS_EXPORTER": "otlp_http",
                              "METRICS_ENDPOINT": "https://push:metrics-pw-3131@collector/v1/metrics?tenant=acme-4141"}
    assert {"metrics-pw-3131", "acme-4141"} <= set(configured_secrets())
    assert redact("auth metrics-pw-3131 refused, tenant acme-4141") == "auth *** refused, tenant ***"
