"""The latest run of a registry, shared: cached a few seconds, one run at a time, answers per audience.

Concurrent callers share one run (single flight): the first starts it, the others wait for
it; with a shared cache the fleet shares one run too (`healthdash.shared_run`). A run is reused for
``HEALTH_CACHE_SECONDS``; the answer built from it is cached per
audience, so no audience is ever served another's. The latest run and a latency history per
service (`LatencyHistory`) stay available to other views (the admin page) through `dashboard_for()`.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from healthdash.access import Audience
from healthdash.conf import get_settings
from healthdash.documents import dashboard_payload
from healthdash.registry import ServiceRegistry, service_registry
from healthdash.runner import Run, Runner
from healthdash.sections import SectionRegistry, section_registry
from healthdash.shared_run import SharedRuns
from healthdash.status import Status

__all__ = ["Dashboard", "LatencyHistory", "Sample", "dashboard_for"]

# A follower waits this much longer than the deadline before it runs the checks itself (twice the
# deadline: with a shared cache its leader may wait for another process's run before running its own).
FOLLOWER_GRACE = 5.0


@dataclass(frozen=True)
class Sample:
    """One check of one service."""

    checked_at: datetime
    status: Status
    latency_ms: float


class LatencyHistory:
    """The last `size` samples of each service, oldest first; safe to use from several threads."""

    def __init__(self, size: int = 60):
        self.size = size
        self._samples: dict[str, deque[Sample]] = {}
        self._lock = threading.Lock()

    def record(self, run) -> None:
        """Add a sample per service of `run` (a runner.Run)."""
        with self._lock:
            for name, result in run.results.items():
                samples = self._samples.setdefault(name, deque(maxlen=self.size))
                samples.append(Sample(result.checked_at, result.status, result.latency_ms))

    def samples(self, name: str) -> list[Sample]:
        """Samples of service `name`, oldest first (empty when never checked)."""
        with self._lock:
            return list(self._samples.get(name, ()))

    def names(self) -> list[str]:
        """Services that have samples."""
        with self._lock:
            return list(self._samples)


class _Flight:
    """A run in progress that late callers wait for."""

    def __init__(self):
        self.done = threading.Event()
        self.run: Run | None = None


class Dashboard:
    """Runs of one registry shared by every caller, with the answers built from them."""

    def __init__(self, registry: ServiceRegistry, sections: SectionRegistry | None = None,
                 runner: Runner | None = None):
        self.registry = registry
        self.sections = section_registry if sections is None else sections
        self.runner = runner or Runner(registry)
        self.history = LatencyHistory(get_settings().history_size)
        self.shared = SharedRuns()  # the fleet's run, when the cache is shared
        self._lock = threading.Lock()
        self._latest: Run | None = None
        self._flight: _Flight | None = None
        self._answers: dict[Audience, tuple[Run, dict]] = {}

    @property
    def latest(self) -> Run | None:
        """The latest finished run, however old; None before the first."""
        return self._latest

    def current_run(self, *, refresh: bool = False) -> Run:
        """A run younger than the cache lifetime: the cached one, the one in progress, or a new one."""
        with self._lock:
            latest = self._latest
            if not refresh and latest is not None and latest.age() < get_settings().cache_seconds:
                return latest
            flight, leader = self._flight, self._flight is None
            if leader:
                flight = self._flight = _Flight()
        if leader:
            return self._lead(flight, refresh)
        if flight.done.wait(2 * get_settings().deadline + FOLLOWER_GRACE) and flight.run is not None:
            return flight.run
        return self.runner.run()  # the leader failed: hung checks are still not started twice

    def _lead(self, flight: _Flight, refresh: bool = False) -> Run:
        try:
            run = flight.run = self.shared.run(self.runner, refresh=refresh)
            self.history.record(run)
            with self._lock:
                self._latest = run
            return run
        finally:
            with self._lock:
                self._flight = None
            flight.done.set()

    def answer(self, audience: Audience, *, refresh: bool = False) -> tuple[Run, dict]:
        """The current run and the dashboard JSON for `audience`, built once per run and audience."""
        run = self.current_run(refresh=refresh)
        with self._lock:
            cached = self._answers.get(audience)
        if cached is not None and cached[0] is run:
            return cached
        answer = (run, dashboard_payload(run, audience, self.sections))
        with self._lock:
            self._answers[audience] = answer
        return answer

    def clear(self) -> None:
        """Forget the cached run and answers (the history stays)."""
        with self._lock:
            self._latest = None
            self._answers.clear()


_dashboards: weakref.WeakKeyDictionary[ServiceRegistry, Dashboard] = weakref.WeakKeyDictionary()
_dashboards_lock = threading.Lock()


def dashboard_for(registry: ServiceRegistry | None = None, sections: SectionRegistry | None = None) -> Dashboard:
    """The shared Dashboard of `registry` (the project's by default) and `sections`."""
    registry = service_registry if registry is None else registry
    sections = section_registry if sections is None else sections
    with _dashboards_lock:
        dashboard = _dashboards.get(registry)
        if dashboard is None or dashboard.sections is not sections:
            dashboard = _dashboards[registry] = Dashboard(registry, sections)
        return dashboard
