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
    # The dashboard's answer warns for its own feature too (the fleet's shared run): one line per feature.
    warnings = [r.getMessage() for r in caplog.records if r.name == "observability.fail_open"]
    assert len([w for w in warnings if w.startswith("The limit on failed API-key authentication is unavailable")]) == 1
    assert len(warnings) == len({w.split(" is unavailable")[0] for w in warnings}), warnings


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


@pytest.mark.django_db
def test_an_ipv6_client_is_one_bucket_per_64(client, keys):
    statuses = [get(client, "wrong", address=f"2001:db8:1:2::{n:x}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert get(client, "wrong", address="2001:db8:1:3::1").status_code == 401  # another /64
    assert auth_failures.bucket("::ffff:198.51.100.9") == "198.51.100.9"


@pytest.mark.django_db
def test_a_trusted_host_rotating_x_forwarded_for_is_stopped_at_the_proxys_share(client, keys, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": "10.0.0.0/8"}
    allowed = 5 * auth_failures.PROXY_SHARE

    def rotated(n: int, proxy: str = "10.0.0.7"):
        return client.get(DASHBOARD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"203.0.{n // 250}.{n % 250}",
                          HTTP_X_API_KEY="wrong")

    assert {rotated(n).status_code for n in range(allowed)} == {401}
    assert rotated(allowed).status_code == 429
    assert rotated(allowed + 1, proxy="10.0.0.8").status_code == 401  # another proxy is another share
    assert client.get(DASHBOARD, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.9.9",
                      HTTP_X_API_KEY=KEY).status_code == 200


@pytest.mark.django_db
def test_one_client_alone_cannot_use_up_its_proxys_share(client, keys, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRUSTED_PROXIES": "10.0.0.0/8"}
    for _ in range(5 * auth_failures.PROXY_SHARE + 5):
        client.get(DASHBOARD, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.50", HTTP_X_API_KEY="wrong")
    assert client.get(DASHBOARD, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.51",
                      HTTP_X_API_KEY="wrong").status_code == 401


@pytest.mark.django_db
def test_admin_logins_are_limited_per_address_before_the_password_is_checked(client, keys, settings,
                                                                              django_user_model):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password-123")

    def login(password: str, address: str = "198.51.100.20"):
        return client.post("/admin/login/", {"username": "admin", "password": password}, REMOTE_ADDR=address)

    assert [login(f"wrong-{n}").status_code for n in range(5)] == [200] * 5  # the form again, with its error
    refused = login("right-password-123")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many failed logins from this address" in refused.content.decode()
    assert login("right-password-123", address="198.51.100.21").status_code == 302
    # Wrong passwords and wrong keys share the address's count.
    assert get(client, "wrong", address="198.51.100.20").status_code == 429
