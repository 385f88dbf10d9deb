"""Wrong API keys are limited per client address; valid keys never are; a cache outage changes nothing else."""

from __future__ import annotations

import logging

import pytest

from observability import auth_failures, fail_open
from observability.auth_failures import parse_failure_rate
from tests.support.processes import free_port

KEY = "valid-key-0123456789abcdef"
DASHBOARD = "/api/v1/health/dashboard"


@pytest.fixture
def keys(use_api_keys, settings):
    use_api_keys(KEY)
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "API_KEY_FAILURE_RATE": "5/min"}


@pytest.fixture
def fresh_guards(monkeypatch):
    """Guards that have seen no failure (they remember outages for a few seconds)."""
    monkeypatch.setattr(auth_failures, "cache_guard", fail_open.CacheGuard("The limit on failed API-key "
                                                                            "authentication"))


def get(client, key: str | None, address: str = "198.51.100.1"):
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    return client.get(DASHBOARD, REMOTE_ADDR=address, **headers)


@pytest.mark.django_db
def test_wrong_keys_past_the_limit_get_429_with_retry_after(client, keys):
    assert [get(client, f"wrong-{n}").status_code for n in range(5)] == [401] * 5
    throttled = get(client, "wrong-again")
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "60"
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Too many wrong API keys from this address" in throttled.json()["error"]["message"]
    # A valid key from the same address is not slowed; another address still gets plain 401s.
    assert get(client, KEY).status_code == 200
    assert get(client, "wrong", address="198.51.100.2").status_code == 401


@pytest.mark.django_db
def test_the_same_limit_guards_generate(client, keys, settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_THROTTLE_RATE": "off"}
    statuses = [client.post("/api/v1/generate", {"prompt": "hi"}, content_type="application/json",
                            HTTP_X_API_KEY="wrong", REMOTE_ADDR="198.51.100.3").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2


@pytest.mark.django_db
def test_the_same_limit_guards_metrics(client, keys):
    statuses = [client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", REMOTE_ADDR="198.51.100.4")
                for _ in range(6)]
    assert [response.status_code for response in statuses] == [401] * 5 + [429]
    assert statuses[-1]["Retry-After"] == "60"
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {KEY}", REMOTE_ADDR="198.51.100.4").status_code == 200


@pytest.mark.django_db
def test_an_empty_key_is_no_key_and_never_counts(client, keys):
    for _ in range(8):
        response = get(client, "")
        assert response.status_code == 200
        assert "details" not in str(response.json())  # anonymous: statuses only


@pytest.mark.django_db
def test_off_turns_the_limit_off(client, keys, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "API_KEY_FAILURE_RATE": "off"}
    assert {get(client, "wrong").status_code for _ in range(12)} == {401}


@pytest.mark.django_db
def test_a_cache_outage_leaves_authentication_working(client, keys, settings, fresh_guards, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    with caplog.at_level(logging.WARNING, logger="observability.fail_open"):
        assert {get(client, "wrong").status_code for _ in range(8)} == {401}
        assert get(client, KEY).status_code in (200, 503)
    warnings = [r for r in caplog.records if r.name == "observability.fail_open"]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith("The limit on failed API-key authentication is unavailable")


@pytest.mark.parametrize(("value", "expected"), [
    (None, (10, 60)), ("3/s", (3, 1)), ("100/hour", (100, 3600)), ("off", None), ("OFF", None),
])
def test_rates(value, expected):
    raw = {} if value is None else {"API_KEY_FAILURE_RATE": value}
    assert parse_failure_rate(raw) == (expected, [])


@pytest.mark.parametrize("value", ["lots", "0/min", "-1/min", "10 per minute"])
def test_a_bad_rate_is_e081(value):
    rate, problems = parse_failure_rate({"API_KEY_FAILURE_RATE": value})
    assert [p.id for p in problems] == ["observability.E081"]
    assert repr(value) in problems[0].message
