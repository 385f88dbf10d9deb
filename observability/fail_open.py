"""Features that use the cache and fail open: while the cache is down they step aside, and say so.

Throttling and the limit on failed authentication count in the Django cache. A cache outage
must not turn every request into a 500, nor make each request wait for a cache that hangs: a
failed call makes the feature skip the cache for RETRY_SECONDS, and a WARNING says the feature
is unavailable at most once every WARN_SECONDS per process, however many requests pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from observability.redaction import redact

__all__ = ["CacheGuard"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_SECONDS = 5.0
WARN_SECONDS = 60.0


class CacheGuard:
    """Runs one feature's cache calls; while the cache fails, the feature's fallback is used instead."""

    def __init__(self, feature: str, clock: Callable[[], float] = time.monotonic, backend: str = "the cache"):
        self.feature = feature
        self.backend = backend  # what the warning names as failing: another store may be guarded the same way
        self._clock = clock
        self._lock = threading.Lock()
        self._skip_until = float("-inf")
        self._warned_at = float("-inf")

    def call(self, operation: Callable[[], T], fallback: T) -> T:
        """`operation()`, or `fallback` when the cache fails (or failed less than RETRY_SECONDS ago)."""
        if self._clock() < self._skip_until:
            return fallback
        try:
            return operation()
        except Exception as exc:  # any backend's failure: connection refused, timeout, protocol error
            self._failed(exc)
            return fallback

    @property
    def available(self) -> bool:
        """Whether the cache answered the last call (or was not asked again since it failed)."""
        return self._clock() >= self._skip_until

    def _failed(self, exc: Exception) -> None:
        now = self._clock()
        with self._lock:
            self._skip_until = now + RETRY_SECONDS
            warn = now - self._warned_at >= WARN_SECONDS
            if warn:
                self._warned_at = now
        if warn:
            logger.warning("%s is unavailable: %s failed (%s: %s); requests are served without it until "
                           "%s answers again (this warning repeats at most once a minute).",
                           self.feature, self.backend, type(exc).__name__, redact(str(exc))[:200], self.backend)
