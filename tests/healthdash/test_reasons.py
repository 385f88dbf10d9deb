"""Reasons of a failed check: short, safe, timeouts recognised whatever raised them."""

from __future__ import annotations

from healthdash.reasons import is_timeout, reason_for, safe_traceback


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
