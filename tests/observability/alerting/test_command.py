"""``manage.py observability_rules``: what it writes, what it refuses, and OBSERVABILITY_SLOS."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from observability import checks
from observability.metrics.instruments import REQUEST_DURATION


def generate(out, *specs: str, job: str = "") -> None:
    call_command("observability_rules", "--out", str(out), *[arg for spec in specs for arg in ("--slo", spec)],
                 *(["--job", job] if job else []))


def rules_of(path) -> list[dict]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def test_latency_reads_the_bucket_as_metrics_writes_it(tmp_path):
    generate(tmp_path, "name=slow,objective=99,latency=1")
    expressions = [rule["expr"] for rule in rules_of(tmp_path / "slos.yml") if "record" in rule]
    assert all('le="1.0"' in expr for expr in expressions[1:]), expressions


def test_every_expression_selects_the_job(tmp_path):
    generate(tmp_path, "name=api,objective=99.5", job="shop")
    for name in ("slos.yml", "alerts.yml"):
        selected = [rule["expr"] for rule in rules_of(tmp_path / name) if REQUEST_DURATION.prometheus_name in
                    rule["expr"] or "up{" in rule["expr"]]
        assert selected and all('job="shop"' in expr for expr in selected)
    dashboard = json.loads((tmp_path / "dashboard.json").read_text())
    assert dashboard["templating"]["list"][1]["current"]["value"] == "shop"
    assert all("$job" in target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
               if "slo:" not in target["expr"])


def test_alert_labels_are_exactly_slo_and_severity(tmp_path):
    generate(tmp_path, "name=a,objective=99.9", "name=b,objective=95,latency=0.5")
    alerts = [rule for rule in rules_of(tmp_path / "slos.yml") if "alert" in rule]
    assert {rule["alert"] for rule in alerts} == {"ErrorBudgetBurn"}
    assert [sorted(rule["labels"]) for rule in alerts] == [["severity", "slo"]] * 4
    assert all(rule.get("for", "0m") in {"1m", "2m", "0m"} for rule in alerts if rule["labels"]["severity"] == "page")


def test_a_second_run_replaces_the_files(tmp_path):
    generate(tmp_path, "name=api,objective=99.9")
    generate(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["alerts.yml", "dashboard.json"]


@pytest.mark.parametrize(("specs", "named"), [
    (["name=api,objective=100"], "objective"),
    (["name=api,objective=0"], "objective"),
    (["objective=99"], "name"),
    (["name=api,objective=99", "name=api,objective=98"], "'api'"),
    (["name=api,objective=99,window=30d"], "window"),
    (["name=api,objective=99,latency=0.3"], "nearest lower 0.25, nearest upper 0.5"),
])
def test_a_bad_spec_exits_2_naming_the_problem_and_writes_nothing(tmp_path, specs, named):
    with pytest.raises(CommandError, match=named) as raised:
        generate(tmp_path / "out", *specs)
    assert raised.value.returncode == 2
    assert not (tmp_path / "out").exists()


def test_settings_declare_the_slos_when_no_spec_is_given(tmp_path, settings):
    settings.OBSERVABILITY = {"OBSERVABILITY_SLOS": "name=api,objective=99.9; name=fast,objective=99,latency=0.25"}
    generate(tmp_path)
    assert {rule["labels"]["slo"] for rule in rules_of(tmp_path / "slos.yml")} == {"api", "fast"}


def test_invalid_settings_are_a_system_check_error_and_exit_2(tmp_path, settings):
    settings.OBSERVABILITY = {"OBSERVABILITY_SLOS": "name=api,objective=99.9;name=api,objective=99"}
    assert [message.id for message in checks.check_slo_settings()] == ["observability.E100"]
    with pytest.raises(CommandError, match="'api' is given twice") as raised:
        generate(tmp_path / "out")
    assert raised.value.returncode == 2
    assert not (tmp_path / "out").exists()
