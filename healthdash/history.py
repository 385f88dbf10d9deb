"""Recent latencies of each service, for pages that draw them (the admin health page)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from healthdash.status import Status


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
