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
# The lock expires this long after the deadline (its holder's run is over by then, or the holder is gone);
# a process waiting for the holder's run waits as long, then runs the checks itself.
LOCK_GRACE_SECONDS = 2.0


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
        """The fleet's run when the cache is shared and results are cached, else `runner`'s own run now.

        `refresh`: a run that ends after this call (the fleet's next one, or this process's own).
        """
        config = get_settings()
        if not config.cache_seconds or not shared_cache(self.alias):
            return runner.run()
        since = time.time() if refresh else 0.0
        hold = config.deadline + LOCK_GRACE_SECONDS
        give_up = time.monotonic() + hold
        while True:
            served = self.fresh(config.cache_seconds, since)
            if served is not None:
                record_statuses(served)  # this process's /metrics shows the fleet's statuses too
                return served
            token = self.acquire(hold)
            if token is not None:
                return self._run_and_publish(runner, token, config.cache_seconds)
            if not self.available or time.monotonic() >= give_up:
                return runner.run()  # the cache fails, or the lock's holder neither published nor let go
            time.sleep(POLL_SECONDS)

    def _run_and_publish(self, runner: Runner, token: str, keep: float) -> Run:
        try:
            run = runner.run()
            self.publish(run, keep)
            return run
        finally:
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
