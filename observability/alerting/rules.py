"""Prometheus rules: each SLO's error ratios and burn-rate alerts, and the alerts shipped beside them.

The alerts are the Google SRE workbook's multi-window, multi-burn-rate ones: a long window says
the budget is really burning, a short one that it still is (so the alert resolves soon after the
burning stops). Windows are plain ``rate()`` over whatever samples exist, so a 3d window
evaluates from the first minutes of data. A burn factor above what 100 % errors can reach (14.4
at a 95 % objective) would never fire; it is lowered to that maximum, which 100 % errors meet.
"""

from __future__ import annotations

import json
import os

from observability.alerting.contributions import contributed_rules
from observability.alerting.slos import SLO
from observability.metrics.instruments import ACTIVE_REQUESTS, REQUEST_DURATION, SPANS_DROPPED

__all__ = ["DASHBOARD_PATH", "DASHBOARD_UID", "alert", "capacity", "error_ratio", "quoted", "rule_files", "slo_groups"]

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (severity, burn factor, long window, short window): the workbook's table.
BURNS = (("page", 14.4, "1h", "5m"), ("page", 6.0, "6h", "30m"), ("ticket", 3.0, "1d", "2h"),
         ("ticket", 1.0, "3d", "6h"))
FOR = {"page": "2m", "ticket": "15m"}
DASHBOARD_UID = "chimera-observability"
DASHBOARD_PATH = f"/d/{DASHBOARD_UID}"
SATURATION = 0.9  # of the threads: requests beyond them wait in the listen queue
DOCS = "docs/alerts.md"


def quoted(text: str) -> str:
    """`text` as a PromQL string literal."""
    return json.dumps(text)


def error_ratio(name: str) -> str:
    return f"slo:sli_error:ratio_rate{name}"


def alert(name: str, expr: str, duration: str, severity: str, summary: str, **labels: str) -> dict:
    """An alerting rule whose annotations name its runbook in docs/alerts.md."""
    rule = {"alert": name, "expr": expr}
    if duration != "0m":
        rule["for"] = duration
    rule["labels"] = {**labels, "severity": severity}
    rule["annotations"] = {"summary": summary, "runbook": f"{DOCS}#{name.lower()}"}
    return rule


def sli_error(slo: SLO, job: str, window: str) -> str:
    """The ratio of bad requests of `slo` over `window`: 0 with traffic and no bad request, empty without traffic."""
    count, matchers = f"{REQUEST_DURATION.prometheus_name}_count", [f"job={quoted(job)}"]
    if slo.routes:
        matchers.append(f"http_route=~{quoted(slo.routes)}")
    total = f"sum(rate({count}{{{','.join(matchers)}}}[{window}]))"
    if slo.latency is not None:
        bucket = f"{REQUEST_DURATION.prometheus_name}_bucket{{{','.join([*matchers, f'le={quoted(slo.le)}'])}}}"
        return f"1 - sum(rate({bucket}[{window}])) / {total}"
    errors = f"sum(rate({count}{{{','.join([*matchers, 'http_response_status_code=~' + quoted('5..')])}}}[{window}]))"
    return f"({errors} or 0 * {total}) / {total}"


def burn_alerts(slo: SLO) -> list[dict]:
    selector = f"{{slo={quoted(slo.name)}}}"
    most = 1 / slo.budget  # the burn rate of 100 % errors
    alerts = []
    for severity in ("page", "ticket"):
        conditions = []
        for level, factor, long, short in BURNS:
            if level == severity:
                threshold = f"{min(factor, most):.6g}"
                conditions.append(f"({error_ratio(long)}{selector} / {slo.budget:g} >= {threshold} and "
                                  f"{error_ratio(short)}{selector} / {slo.budget:g} >= {threshold})")
        rule = alert("ErrorBudgetBurn", " or ".join(conditions), FOR[severity], severity,
                     f"SLO {slo.name} ({slo.objective:g} %) is burning its error budget {{{{ $value | printf "
                     f"\"%.1f\" }}}}x as fast as it lasts", slo=slo.name)
        rule["annotations"]["burn_rate"] = '{{ $value | printf "%.2f" }}'
        rule["annotations"]["dashboard"] = DASHBOARD_PATH
        alerts.append(rule)
    return alerts


def slo_groups(slos: list[SLO], job: str) -> list[dict]:
    """One group per SLO: its error ratio over every window, its budget, and its burn alerts."""
    groups = []
    for slo in slos:
        records = [{"record": "slo:error_budget:ratio", "expr": f"vector({slo.budget:g})", "labels": {"slo": slo.name}}]
        records += [{"record": error_ratio(window), "expr": sli_error(slo, job, window), "labels": {"slo": slo.name}}
                    for window in WINDOWS]
        groups.append({"name": f"slo-{slo.name}", "rules": records + burn_alerts(slo)})
    return groups


def capacity(environ=os.environ) -> int:
    """Requests a server serves at once: WEB_CONCURRENCY workers x GUNICORN_THREADS (gunicorn's defaults: 1)."""
    return int(environ.get("WEB_CONCURRENCY") or 1) * int(environ.get("GUNICORN_THREADS") or 1)


def shipped_alerts(job: str, threads: int) -> list[dict]:
    selector = f"{{job={quoted(job)}}}"
    # The counter appears with the first drop: increase() takes that first value as its start, and
    # the second term counts it (a series first seen in the last 10 minutes, above 0).
    dropped = f"{SPANS_DROPPED.prometheus_name}_total{selector}"
    return [
        alert("TargetDown", f"up{selector} == 0", "2m", "page", "{{ $labels.instance }} of job " + job
              + " cannot be scraped"),
        alert("TracingSpansDropped", f"sum by (instance) (increase({dropped}[10m])) > 0 or sum by (instance) "
              f"({dropped} unless {dropped} offset 10m) > 0", "0m", "ticket",
              "{{ $labels.instance }} dropped {{ $value | printf \"%.0f\" }} spans in the last 10 minutes"),
        alert("HighActiveRequests", f"sum by (instance) ({ACTIVE_REQUESTS.prometheus_name}{selector}) >= "
              f"{SATURATION * threads:g}", "5m", "ticket", "{{ $labels.instance }} has {{ $value }} requests "
              f"running of the {threads} it can serve at once"),
        *contributed_rules(job),
    ]


def rule_files(slos: list[SLO], job: str, threads: int) -> dict[str, dict]:
    """The rule files by name: the SLOs' (when there are any) and the shipped alerts."""
    files = {"alerts.yml": {"groups": [{"name": "observability-alerts", "rules": shipped_alerts(job, threads)}]}}
    if slos:
        files["slos.yml"] = {"groups": slo_groups(slos, job)}
    return files
