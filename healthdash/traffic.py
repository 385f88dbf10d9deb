"""The site's traffic for the admin page, from the values ``/metrics`` serves (every worker's, summed).

Per route: requests, the share answered 5xx, and p50/p95 estimated from the duration
histogram's buckets since the server started (as Prometheus's ``histogram_quantile()`` does:
linearly within the bucket). The totals carry their time, so the page computes request and
error rates between two refreshes; `TrafficHistory` keeps this process's recent totals for the
page's first paint.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from observability.metrics.instruments import REQUEST_DURATION
from observability.metrics.setup import prometheus_backend

MAX_ROUTES = 50  # the busiest; the rest are summed into the totals only


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The `q` quantile of cumulative `buckets` (upper bound -> count), None without observations."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower  # above the highest finite bound: that bound is all that is known
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = bound, count
    return lower


def summarize(samples: Iterable[tuple[str, Mapping[str, str], float]]) -> dict:
    """Totals and per-route figures from the duration histogram's samples (name, labels, value)."""
    name = REQUEST_DURATION.prometheus_name
    requests: dict[str, float] = defaultdict(float)
    errors: dict[str, float] = defaultdict(float)
    buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for sample_name, labels, value in samples:
        route = labels.get("http_route", "")
        if sample_name == f"{name}_count":
            requests[route] += value
            if labels.get("http_response_status_code", "").startswith("5"):
                errors[route] += value
        elif sample_name == f"{name}_bucket":
            buckets[route][float(labels["le"])] += value
    routes = sorted(requests, key=lambda r: (-requests[r], r))[:MAX_ROUTES]
    return {
        "requests": int(sum(requests.values())),
        "errors": int(sum(errors.values())),
        "routes": [{
            "route": route, "requests": int(requests[route]), "errors": int(errors[route]),
            "error_share": errors[route] / requests[route] if requests[route] else 0.0,
            "p50_ms": _ms(quantile(0.5, buckets[route])), "p95_ms": _ms(quantile(0.95, buckets[route])),
        } for route in routes],
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def current_traffic() -> dict | None:
    """The traffic now, with ``at`` (seconds since the epoch), or None when ``/metrics`` is not served."""
    backend = prometheus_backend()
    if backend is None:
        return None
    name = REQUEST_DURATION.prometheus_name
    samples = [(s.name, s.labels, s.value) for family in backend.collect() if family.name == name
               for s in family.samples]
    return {"at": round(time.time(), 3), **summarize(samples)}


class TrafficHistory:
    """The last `size` totals this process read, for the rates of the page's first paint."""

    def __init__(self, size: int = 60):
        self._totals: deque[tuple[float, int, int]] = deque(maxlen=size + 1)
        self._lock = threading.Lock()

    def record(self, traffic: Mapping | None) -> None:
        """Keep the totals of `traffic` (at most one a second)."""
        if traffic is None:
            return
        with self._lock:
            if not self._totals or traffic["at"] - self._totals[-1][0] >= 1.0:
                self._totals.append((traffic["at"], traffic["requests"], traffic["errors"]))

    def rates(self) -> list[tuple[float, float]]:
        """(requests per second, errors per second) between consecutive totals, oldest first."""
        with self._lock:
            totals = list(self._totals)
        return [rates_between(a, b) for a, b in zip(totals, totals[1:], strict=False)]


def rates_between(earlier: tuple[float, int, int], later: tuple[float, int, int]) -> tuple[float, float]:
    """Requests and errors per second from one total to the next (0 after a restart of the server)."""
    seconds = later[0] - earlier[0]
    if seconds <= 0:
        return 0.0, 0.0
    return max(later[1] - earlier[1], 0) / seconds, max(later[2] - earlier[2], 0) / seconds


history = TrafficHistory()


def with_traffic(payload: Mapping) -> dict:
    """The detailed dashboard JSON with ``traffic`` added (None when ``/metrics`` is not served); kept in history."""
    traffic = current_traffic()
    history.record(traffic)
    return {**payload, "traffic": traffic}
