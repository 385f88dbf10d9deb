"""One run of the checks per fleet: published in the shared cache, run under a lock the cache expires.

A process whose run is older than ``HEALTH_CACHE_SECONDS`` first looks in the cache for a younger
one (one ``get``); when there is none it takes the lock (an atomic ``add`` that expires after the
deadline plus a grace, so a holder that dies releases it) and runs the checks, or, when another
process holds it, waits for that process's run. Every process then serves the same run. While the
cache fails, `CacheGuard` steps aside: each process runs its own checks, as with a local cache.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
import uuid
from dataclasses import dataclass, replace

from django.core.cache import caches

from healthdash.conf import get_settings
from healthdash.fleet import ALIAS, shared_cache
from healthdash.gauges import record_statuses
from healthdash.runner import Run, Runner
from observability.fail_open import CacheGuard
from observability.instance import instance_id

__all__ = ["Published", "SharedRuns"]

logger = logging.getLogger(__name__)
RUN_KEY, LOCK_KEY = "healthdash:run:latest", "healthdash:run:lock"
POLL_SECONDS = 0.05  # how often a process waiting for another's run looks for it
# A process waiting for another's run waits this much longer than the deadline; the lock is held as long.
GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Published:
    """A run as the cache holds it: its results, when it finished (wall clock) and which process ran it."""

    run: Run
    finished_at: float  # time.time()
    by: str

    def age(self) -> float:
        return time.time() - self.finished_at

    def local(self) -> Run:
        """The run with its end on this process's monotonic clock, so its age counts from the real end."""
        return replace(self.run, finished=time.monotonic() - max(self.age(), 0.0))


class SharedRuns:
    """The fleet's latest run in the cache `alias`, and the lock of whoever runs the next one."""

    def __init__(self, alias: str = ALIAS):
        self.alias = alias
        self.guard = CacheGuard("The fleet's shared run of the checks")

    def run(self, runner: Runner, *, refresh: bool = False) -> Run:
        """The fleet's run when the cache is shared and results are cached, else `runner`'s own run now."""
        config = get_settings()
        if not config.cache_seconds or not shared_cache(self.alias):
            return runner.run()
        asked = time.time()
        served = None if refresh else self.fresh(config.cache_seconds)
        hold = config.deadline + GRACE_SECONDS
        token = None if served is not None else self.acquire(hold)
        if served is None and token is None:  # another process runs the checks, or the cache fails
            served = self.wait_for(config.cache_seconds, hold, since=asked if refresh else 0.0)
        if served is not None:
            record_statuses(served)  # this process's /metrics shows the fleet's statuses too
            return served
        try:
            run = runner.run()
            if token is not None:
                self.publish(run, config.cache_seconds)
            return run
        finally:
            if token is not None:
                self.release(token)

    @property
    def available(self) -> bool:
        """Whether the cache answered its latest call."""
        return self.guard.available

    def fresh(self, max_age: float, since: float = 0.0) -> Run | None:
        """The fleet's run when it is younger than `max_age` seconds (and ended after `since`, a time.time())."""
        published = self.guard.call(lambda: caches[self.alias].get(RUN_KEY), None)
        if isinstance(published, Published) and published.age() < max_age and published.finished_at > since:
            return published.local()
        return None

    def acquire(self, hold: float) -> str | None:
        """The lock's token when this process may run the checks; None while another holds it or the cache fails."""
        token = f"{instance_id()}:{uuid.uuid4().hex}"
        taken = self.guard.call(lambda: caches[self.alias].add(LOCK_KEY, token, timeout=math.ceil(hold)), False)
        return token if taken else None

    def release(self, token: str) -> None:
        """Give the lock back when it is still this process's (it may have expired and been taken since)."""
        cache = caches[self.alias]
        self.guard.call(lambda: cache.get(LOCK_KEY) == token and cache.delete(LOCK_KEY), None)

    def publish(self, run: Run, keep: float) -> None:
        """Make `run` the fleet's, kept `keep` seconds; a run whose details cannot be pickled stays this process's."""
        published = Published(replace(run, results=dict(run.results)), time.time(), instance_id())
        try:
            pickle.dumps(published)
        except Exception as exc:  # a check's details holding something the cache cannot store
            logger.debug("The run is not shared: %s: %s", type(exc).__name__, exc)
            return
        self.guard.call(lambda: caches[self.alias].set(RUN_KEY, published, timeout=math.ceil(keep)), None)

    def wait_for(self, max_age: float, timeout: float, since: float = 0.0) -> Run | None:
        """A run younger than `max_age` (ended after `since`) another process publishes within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.available:
            run = self.fresh(max_age, since)
            if run is not None:
                return run
            time.sleep(POLL_SECONDS)
        return None
