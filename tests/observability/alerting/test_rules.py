"""The generated rules under Prometheus's own tool: ``promtool check rules`` and ``promtool test rules``.

Each scenario is a promtool unit test written here from the traffic it describes: a counter of
good and a counter of bad requests per minute, for the availability SLO (5xx answers) and the
latency SLO (the bucket of its boundary) alike, so both are shown to behave the same.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from django.core.management import call_command

from tests.support.services import unavailable

DURATION = "http_server_request_duration_seconds"
SLOS = ["name=api,objective=99.9,routes=^/api/.*", "name=fast,objective=99.9,latency=0.25",
        "name=lenient,objective=90,routes=^/lenient"]
ROUTE = {"api": "/api/v1/generate", "fast": "/ok", "lenient": "/lenient"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        unavailable("promtool is not installed (bin/test installs Debian's prometheus package)")
    return path


@pytest.fixture
def rules(tmp_path, monkeypatch):
    from healthdash.probes.cache import CacheProbe
    from healthdash.registry import service_registry

    # The cache as the project registers it, not critical: other tests register a cache probe of their
    # own (critical, healthdash's default), which would make it page.
    service_registry.register("cache", CacheProbe("default", 1.0), critical=False, replace=True)
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    call_command("observability_rules", "--out", str(tmp_path), *[arg for spec in SLOS for arg in ("--slo", spec)])
    return tmp_path


def series(slo: str, bad: int, good: int, minutes: int) -> list[dict]:
    """Counters growing by `bad` and `good` requests a minute, as `slo` counts them."""
    route = f'job="chimera",http_route="{ROUTE[slo]}",http_request_method="GET"'
    total, grow = bad + good, lambda per_minute: f"0+{per_minute}x{minutes}"
    if slo == "fast":  # bad requests took longer than the boundary: they are in _count, not in its bucket
        return [{"series": f'{DURATION}_bucket{{{route},http_response_status_code="200",le="0.25"}}',
                 "values": grow(good)},
                {"series": f'{DURATION}_count{{{route},http_response_status_code="200"}}', "values": grow(total)}]
    return [{"series": f'{DURATION}_count{{{route},http_response_status_code="500"}}', "values": grow(bad)},
            {"series": f'{DURATION}_count{{{route},http_response_status_code="200"}}', "values": grow(good)}]


OBJECTIVES = {"api": "99.9", "fast": "99.9", "lenient": "90"}


def firing(slo: str, severities: list[str], burn: float) -> list[dict]:
    """The alerts expected, with the burn rate over their long window in the annotations."""
    annotations = {"summary": f"SLO {slo} ({OBJECTIVES[slo]} %) is burning its error budget {burn:.1f}x as fast "
                              "as it lasts", "runbook": "docs/alerts.md#errorbudgetburn",
                   "burn_rate": f"{burn:.2f}", "dashboard": "/d/chimera-observability"}
    return [{"exp_labels": {"slo": slo, "severity": severity}, "exp_annotations": annotations}
            for severity in severities]


def run(rules, tests: list[dict]) -> subprocess.CompletedProcess:
    document = {"rule_files": ["slos.yml", "alerts.yml"], "evaluation_interval": "1m", "tests": tests}
    (rules / "test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    return subprocess.run([promtool(), "test", "rules", "test.yml"], cwd=rules, capture_output=True, text=True)


def alerts_at(slo: str, burn: float, *expected: tuple[str, list[str]]) -> list[dict]:
    return [{"eval_time": at, "alertname": "ErrorBudgetBurn", "exp_alerts": firing(slo, severities, burn)}
            for at, severities in expected]


def test_every_file_passes_promtool_check_with_lint_fatal(rules):
    result = subprocess.run([promtool(), "check", "rules", "--lint-fatal", "slos.yml", "alerts.yml"], cwd=rules,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("slo", ["api", "fast"])
def test_burn_alerts(rules, slo):
    tests = [
        # 100 % bad: pages within 5 minutes (for: 2m), and only pages until the ticket's 15 minutes pass.
        {"interval": "1m", "input_series": series(slo, 60, 0, 30),
         "alert_rule_test": alerts_at(slo, 1000, ("1m", []), ("5m", ["page"]), ("20m", ["page", "ticket"]))},
        # 2 % against 99.9 % is a 20x burn: pages within the hour.
        {"interval": "1m", "input_series": series(slo, 2, 98, 70),
         "alert_rule_test": alerts_at(slo, 20, ("60m", ["page", "ticket"]))},
        # 0.15 % is a 1.5x burn: a ticket once 6 h and 3 d agree, never a page.
        {"interval": "1m", "input_series": series(slo, 3, 1997, 400),
         "alert_rule_test": alerts_at(slo, 1.5, ("10m", []), ("1h", ["ticket"]), ("3h", ["ticket"]),
                                      ("6h", ["ticket"]))},
        # No traffic: counters standing still, or no series at all, fire nothing.
        {"interval": "1m", "input_series": series(slo, 0, 0, 60),
         "alert_rule_test": alerts_at(slo, 0, ("5m", []), ("30m", []), ("60m", []))},
        {"interval": "1m", "input_series": [], "alert_rule_test": alerts_at(slo, 0, ("30m", []))},
    ]
    result = run(rules, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_low_objective_still_pages_on_total_failure(rules):
    """At 90 %, 14.4x would need 144 % errors: the factor is lowered to what 100 % errors reach (10x)."""
    tests = [{"interval": "1m", "input_series": series("lenient", 60, 0, 10),
              "alert_rule_test": alerts_at("lenient", 10, ("5m", ["page"]))}]
    result = run(rules, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def shipped(name: str, at: str, *labels: dict) -> dict:
    return {"eval_time": at, "alertname": name, "exp_alerts": [{"exp_labels": dict(item)} for item in labels]}


def test_shipped_alerts(rules):
    """Compared by labels: the annotations are checked by promtool check rules' templating above."""
    document = yaml.safe_load((rules / "alerts.yml").read_text())
    for rule in document["groups"][0]["rules"]:
        rule["annotations"] = {}
    (rules / "alerts.yml").write_text(yaml.safe_dump(document))
    instance = 'job="chimera",instance="web-1:8000"'
    tests = [{"interval": "1m", "input_series": [
        {"series": f"up{{{instance}}}", "values": "1 1 0x5"},
        # Dropped spans: the counter first appears at 4 (the first drop), then grows once.
        {"series": f"tracing_spans_dropped_total{{{instance}}}", "values": "_x3 4x20 9x5"},
        # 2 workers x 4 threads: 8 requests at once; 90 % is 7.2.
        {"series": f'http_server_active_requests{{{instance},http_request_method="GET"}}', "values": "7 8x10"},
        {"series": f'health_service_status{{{instance},service="database",status="down"}}', "values": "0 1x5"},
        {"series": f'health_service_status{{{instance},service="cache",status="down"}}', "values": "1x5"},
    ], "alert_rule_test": [
        shipped("TargetDown", "3m"),
        shipped("TargetDown", "5m", {"job": "chimera", "instance": "web-1:8000", "severity": "page"}),
        shipped("TracingSpansDropped", "2m"),
        shipped("TracingSpansDropped", "5m", {"instance": "web-1:8000", "severity": "ticket"}),
        shipped("TracingSpansDropped", "20m"),
        shipped("TracingSpansDropped", "26m", {"instance": "web-1:8000", "severity": "ticket"}),
        shipped("HighActiveRequests", "4m"),
        shipped("HighActiveRequests", "7m", {"instance": "web-1:8000", "severity": "ticket"}),
        # cache is not critical: only database pages.
        shipped("HealthServiceDown", "2m"),
        shipped("HealthServiceDown", "4m", {"service": "database", "severity": "page"}),
    ]}]
    result = run(rules, tests)
    assert result.returncode == 0, result.stdout + result.stderr



def health_inputs(instance: str, down: str, maintenance: str, draining: str) -> list[dict]:
    where = f'job="chimera",instance="{instance}"'
    return [{"series": f'health_service_status{{{where},service="database",status="down"}}', "values": down},
            {"series": f"health_maintenance{{{where}}}", "values": maintenance},
            {"series": f"server_draining{{{where}}}", "values": draining}]


PAGE = {"service": "database", "severity": "page"}
DOWN_NOTE = {"summary": "Critical service database is down", "runbook": "docs/alerts.md#healthservicedown"}


def down_at(at: str, *pages: dict) -> dict:
    return {"eval_time": at, "alertname": "HealthServiceDown",
            "exp_alerts": [{"exp_labels": page, "exp_annotations": DOWN_NOTE} for page in pages]}


@pytest.mark.parametrize("state", ["serving", "maintenance", "draining"])
def test_health_service_down_pages_unless_the_instance_is_in_maintenance_or_draining(rules, state):
    """The database down for 20 minutes; the instance in `state` for the first 10, then serving again."""
    resting = {"maintenance": "0x20", "draining": "0x20", state: "1x10 0x10"}
    inputs = health_inputs("web-1:8000", "1x20", resting["maintenance"], resting["draining"])
    while_resting = [PAGE] if state == "serving" else []
    tests = [{"interval": "1m", "input_series": inputs, "alert_rule_test": [
        down_at( "1m"),  # down, but not yet for 2 minutes
        down_at( "5m", *while_resting),
        down_at( "10m", *while_resting),
        down_at( "14m", PAGE),  # serving again, still down: it pages
    ]}]
    result = run(rules, tests)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("state", ["maintenance", "draining"])
def test_one_instance_resting_leaves_the_others_alert(rules, state):
    maintenance, draining = ("1x10", "0x10") if state == "maintenance" else ("0x10", "1x10")
    inputs = (health_inputs("web-1:8000", "1x10", maintenance, draining)
              + health_inputs("web-2:8000", "1x10", "0x10", "0x10"))
    tests = [{"interval": "1m", "input_series": inputs, "alert_rule_test": [down_at( "5m", PAGE)]}]
    result = run(rules, tests)
    assert result.returncode == 0, result.stdout + result.stderr
