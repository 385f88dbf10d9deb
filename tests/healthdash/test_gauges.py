"""The health gauges: set from every run of the checks."""

from __future__ import annotations

import pytest

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


KEY = "gauges-test-key-0123456789"


def scraped(client, name: str) -> float | None:
    """The value /metrics shows for the label-less series `name`."""
    text = client.get("/metrics", headers={"X-API-Key": KEY}).content.decode()
    values = [float(line.split()[1]) for line in text.splitlines() if line.split(" ")[0] == name]
    return values[0] if values else None


@pytest.mark.django_db(transaction=True)
def test_maintenance_and_draining_are_on_metrics_at_0_then_follow_the_switch(client, settings, use_api_keys):
    from healthdash import maintenance

    use_api_keys(KEY)  # a fresh in-memory registry too: nothing recorded in it yet
    try:
        assert (scraped(client, "health_maintenance"), scraped(client, "server_draining")) == (0, 0)
        maintenance.turn_on(reason="moving the database")
        assert scraped(client, "health_maintenance") == 1
    finally:
        maintenance.turn_off()
    assert scraped(client, "health_maintenance") == 0

