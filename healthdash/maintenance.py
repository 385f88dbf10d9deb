"""Maintenance: the site out of rotation on purpose, with liveness and startup untouched.

The switch is a row of the database (`healthdash.models.Maintenance`), so every worker of every
instance sharing it follows. Each process reads it at most once per ``HEALTH_CACHE_SECONDS``,
on a check thread, waiting for it at most a second: a database that hangs holds a readiness
request that much longer, not a whole deadline. A read that fails keeps the state last read
(off before the first), so a database outage does not flip maintenance on or off by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections

from healthdash.conf import get_settings
from healthdash.models import DEFAULT_RETRY_AFTER, Maintenance
from healthdash.pool import shared_pool

__all__ = ["DEFAULT_RETRY_AFTER", "State", "current", "stored", "turn_off", "turn_on"]

logger = logging.getLogger(__name__)
ROW = 1
# The most a caller waits for a read: a hung database then costs readiness this, not a second
# HEALTH_DEADLINE on top of the checks'; the read goes on and the next caller gets its answer.
READ_WAIT = 1.0


@dataclass(frozen=True)
class State:
    """Maintenance as stored: off unless turned on."""

    on: bool = False
    since: datetime | None = None
    retry_after: int = DEFAULT_RETRY_AFTER
    reason: str = ""
    by: str = ""


def stored(using: str = "default") -> State:
    """The state in the database, read now on the caller's connection."""
    row = Maintenance.objects.using(using).filter(pk=ROW).first()
    if row is None:
        return State()
    return State(row.on, row.since, row.retry_after, row.reason, row.by)


def turn_on(*, retry_after: int = DEFAULT_RETRY_AFTER, reason: str = "", by: str = "",
            using: str = "default") -> State:
    """Take the site out of rotation; `since` stays that of the first call while it is on."""
    previous = stored(using)
    since = previous.since if previous.on else datetime.now(UTC)
    Maintenance.objects.using(using).update_or_create(pk=ROW, defaults={
        "on": True, "since": since, "retry_after": retry_after, "reason": reason, "by": by,
    })
    return _follower.forget()


def turn_off(using: str = "default") -> State:
    """Put the site back in rotation."""
    Maintenance.objects.using(using).update_or_create(pk=ROW, defaults={"on": False, "since": None, "reason": "",
                                                                        "by": ""})
    return _follower.forget()


class Follower:
    """This process's copy of the stored state, read again once it is older than the cache period."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = State()
        self._read_at = -float("inf")  # time.monotonic()
        self._reading: Future | None = None

    def current(self) -> State:
        """The state read within ``HEALTH_CACHE_SECONDS``; else a new read's, or the last one while it runs."""
        config = get_settings()
        started = None
        with self._lock:
            if time.monotonic() - self._read_at < config.cache_seconds:
                return self._state
            if self._reading is None or self._reading.done():
                self._reading = started = shared_pool().submit(_read)  # a hung read is never started twice
            reading = self._reading
        if started is not None:
            # Outside the lock: a read already done runs the callback here, and it takes the lock.
            started.add_done_callback(self._finished)
        wait = min(config.deadline, READ_WAIT)
        try:
            return self._keep(reading.result(timeout=wait))
        except FutureTimeout:
            logger.warning("Maintenance state not read within %.2f s; keeping the last one read", wait)
        except Exception:  # logged once, by _finished()
            pass
        return self._state

    def _finished(self, reading: Future) -> None:
        """Keep what a read found, even one its caller stopped waiting for; after a failure, the last state."""
        try:
            self._keep(reading.result())
        except Exception as exc:
            logger.warning("Maintenance state not read (%s: %s); keeping the last one read",
                           type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            self._keep(self._state)

    def _keep(self, state: State) -> State:
        with self._lock:
            self._state, self._read_at = state, time.monotonic()
        return state

    def forget(self) -> State:
        """Read again at the next call (this process changed the state)."""
        with self._lock:
            self._read_at = -float("inf")
        return self.current()


def _read() -> State:
    try:
        return stored()
    finally:
        connections.close_all()  # the pool thread's connection, as the runner closes a check's


_follower = Follower()


def current() -> State:
    """This process's view of maintenance (at most ``HEALTH_CACHE_SECONDS`` old)."""
    return _follower.current()
