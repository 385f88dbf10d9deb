"""The health gauges: set from every run of the checks."""

from __future__ import annotations

from observability.metrics.setup import prometheus_backend


def test_each_run_sets_the_status_and_duration_of_every_service(registry, runner, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY}  # a fresh in-memory registry for this test
    state = {"status": "up"}
    registry.register("search", lambda: state["status"], critical=False)
    runner.run()
    metrics = prometheus_backend().registry

    def status(value: str) -> float | None:
        return metrics.get_sample_value("health_service_status", {"service": "search", "status": value})
    assert (status("up"), status("degraded"), status("down")) == (1, 0, 0)
    state["status"] = "degraded"
    runner.run()
    assert (status("up"), status("degraded"), status("down")) == (0, 1, 0)
    seconds = metrics.get_sample_value("health_check_duration_seconds", {"service": "search"})
    assert 0 <= seconds < 1
