"""CacheGuard: a failing cache is skipped for a while, and said so at most once a minute."""

from __future__ import annotations

import logging

from observability.fail_open import RETRY_SECONDS, WARN_SECONDS, CacheGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def broken() -> int:
    raise ConnectionError("Error 111 connecting to redis://:hunter2@cache:6379/0. Connection refused.")


def test_the_fallback_is_used_and_the_cache_skipped_for_a_while():
    clock, calls = Clock(), []
    guard = CacheGuard("Throttling", clock)
    assert guard.call(broken, "fallback") == "fallback"
    assert not guard.available
    assert guard.call(lambda: calls.append(1) or "cache", "fallback") == "fallback"
    assert calls == []  # not asked again right away: a hung cache costs one timeout, not one per request
    clock.now += RETRY_SECONDS
    assert guard.call(lambda: "cache", "fallback") == "cache"
    assert guard.available


def test_one_warning_a_minute_however_many_failures(caplog):
    clock = Clock()
    guard = CacheGuard("Throttling", clock)
    with caplog.at_level(logging.WARNING, logger="observability.fail_open"):
        for _ in range(10):
            guard.call(broken, None)
            clock.now += RETRY_SECONDS
        assert len(caplog.records) == 1
        clock.now += WARN_SECONDS
        guard.call(broken, None)
    assert len(caplog.records) == 2
    message = caplog.records[0].getMessage()
    assert message.startswith("Throttling is unavailable: the cache failed (ConnectionError: ")
    assert "hunter2" not in message
