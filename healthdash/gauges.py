"""The health gauges of ``/metrics`` (and OTLP pushes), set after every run of the checks.

``health_service_status{service,status}`` is 1 for the service's latest status and 0 for the
others; ``health_check_duration_seconds{service}`` is how long its latest check took;
``health_check_runs_total{service}`` counts the checks this process executed (runs served from the
fleet's shared run are not counted again). Under
gunicorn the workers run checks on their own schedules, and ``/metrics`` shows the latest
run of any of them. ``health_maintenance`` is 1 while maintenance is on, as the latest read of the
switch by any process says (``healthdash.maintenance`` records each read; the process answering
a scrape reads it first when its copy is older than ``HEALTH_CACHE_SECONDS``).
"""

from __future__ import annotations

from healthdash.status import Status
from observability.metrics.recording import Instrument

SERVICE_STATUS = Instrument(
    "health.service.status", "gauge", "{status}", "1 for the latest status of the service, 0 for the others.",
    ("service", "status"), aggregation="mostrecent",
)
CHECK_DURATION = Instrument(
    "health.check.duration", "gauge", "s", "Duration of the latest check of the service.", ("service",),
    aggregation="mostrecent",
)

MAINTENANCE = Instrument("health.maintenance", "gauge", "1", "1 while maintenance is on, else 0.",
                         aggregation="mostrecent")


CHECK_RUNS = Instrument(
    "health.check.runs", "counter", "{run}", "Checks of the service this process executed (not served from the "
    "fleet's shared run).", ("service",),
)


def record_run(run) -> None:
    """Count a check of every service of `run` (a runner.Run executed here) and set their gauges."""
    for name in run.results:
        CHECK_RUNS.add(1.0, name)
    record_statuses(run)


def record_statuses(run) -> None:
    """Set the gauges of every service of `run` (a runner.Run, executed here or served from the fleet's)."""
    for name, result in run.results.items():
        for status in Status:
            SERVICE_STATUS.record(1.0 if result.status is status else 0.0, name, status.value)
        CHECK_DURATION.record(result.latency_ms / 1000, name)
