"""What the probes answer: readiness decided in one place, and the startup latch.

``readiness_answer()`` is the only place that decides ``/health/ready``: each reason not to
take traffic is one case, checked before the services (which cost a run of the checks).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field

from healthdash import maintenance
from healthdash.conf import get_settings
from healthdash.dashboard import Dashboard, dashboard_for
from healthdash.registry import READY, STARTUP, ServiceRegistry
from healthdash.status import Status, overall_status
from observability import lifecycle

__all__ = ["Answer", "StartupLatch", "readiness_answer", "startup_latch"]


@dataclass(frozen=True)
class Answer:
    """A probe's answer: the status it reports, its HTTP status code and extra headers."""

    status: str
    code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def readiness_answer(dashboard: Dashboard | None = None) -> Answer:
    """503 while draining, in maintenance (with Retry-After) or while a critical ``ready`` service is
    down, else 200. A server about to stop answers draining, so balancers stop routing to it while it
    still serves."""
    if lifecycle.draining():
        return Answer("draining", 503)
    dashboard = dashboard or dashboard_for()
    state = maintenance.current()
    if state.on:
        return Answer("maintenance", 503, {"Retry-After": str(state.retry_after)})
    run = dashboard.current_run()
    ready = [run.results[s.name] for s in dashboard.registry.tagged(READY) if s.name in run.results]
    if overall_status(ready) is Status.DOWN:
        return Answer(Status.DOWN.value, 503)
    # Ready, and saying whether anything (a service readiness does not wait for) is not up.
    return Answer((Status.UP if run.status is Status.UP else Status.DEGRADED).value)


class StartupLatch:
    """Set once every service tagged ``startup`` has been up in this process; never unset.

    Only the services not yet seen up are checked, at most once per ``HEALTH_CACHE_SECONDS``
    (so probes cannot make the checks run faster than the dashboard's), on the dashboard's
    runner, which never starts a hung check twice.
    """

    def __init__(self, dashboard: Dashboard):
        self.dashboard = dashboard
        self._lock = threading.Lock()
        self._seen_up: set[str] = set()
        self._tried_at = -float("inf")  # time.monotonic()
        self._started = False

    def started(self) -> bool:
        """Whether this process has started, checking the services still waited for when it is time."""
        if self._started:
            return True
        with self._lock:
            if self._started or time.monotonic() - self._tried_at < get_settings().cache_seconds:
                return self._started
            waited_for = [s.name for s in self.dashboard.registry.tagged(STARTUP) if s.name not in self._seen_up]
            if waited_for:
                run = self.dashboard.runner.run(waited_for)
                self._seen_up.update(name for name, result in run.results.items() if result.status is Status.UP)
                self._tried_at = time.monotonic()
            self._started = all(name in self._seen_up for name in waited_for)
            return self._started


_latches: weakref.WeakKeyDictionary[ServiceRegistry, StartupLatch] = weakref.WeakKeyDictionary()
_latches_lock = threading.Lock()


def startup_latch(dashboard: Dashboard | None = None) -> StartupLatch:
    """The latch of `dashboard`'s registry (the project's by default)."""
    dashboard = dashboard or dashboard_for()
    with _latches_lock:
        latch = _latches.get(dashboard.registry)
        if latch is None or latch.dashboard is not dashboard:
            latch = _latches[dashboard.registry] = StartupLatch(dashboard)
        return latch
