"""A cache outage never fails the generate endpoint: throttling fails open and says so once a minute."""

from __future__ import annotations

import json
import logging
import time

import pytest

from chimera.api import throttles
from observability.fail_open import CacheGuard
from tests.chimera.conftest import API_KEY
from tests.support.listeners import SilentListener
from tests.support.processes import free_port


def redis_cache(port: int) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": f"redis://127.0.0.1:{port}/3",
                        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


@pytest.fixture
def fresh_guard(monkeypatch):
    monkeypatch.setattr(throttles, "cache_guard", CacheGuard("Throttling of POST /api/v1/generate"))


def generate(client):
    return client.post("/api/v1/generate", json.dumps({"prompt": "hi"}), content_type="application/json",
                       HTTP_X_API_KEY=API_KEY)


def test_redis_down_serves_every_call_with_one_warning(client, configure, settings, fresh_guard, caplog):
    configure(CHIMERA_THROTTLE_RATE="100/min")
    settings.CACHES = redis_cache(free_port())  # nothing listens: connection refused
    with caplog.at_level(logging.WARNING):
        statuses = [generate(client).status_code for _ in range(20)]
    assert statuses == [200] * 20
    warnings = [r for r in caplog.records if r.name == "observability.fail_open"]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith("Throttling of POST /api/v1/generate is unavailable")


def test_a_cache_that_never_answers_costs_one_socket_timeout(client, configure, settings, fresh_guard):
    configure(CHIMERA_THROTTLE_RATE="100/min")
    with SilentListener() as hung:
        settings.CACHES = redis_cache(hung.port)
        started = time.monotonic()
        first = generate(client)
        first_took = time.monotonic() - started
        started = time.monotonic()
        rest = [generate(client).status_code for _ in range(5)]
        rest_took = time.monotonic() - started
    assert first.status_code == 200 and rest == [200] * 5
    assert first_took < 2.0  # the socket timeout (0.5 s), never gunicorn's
    assert rest_took < 1.0  # skipped while the cache is known to be down
