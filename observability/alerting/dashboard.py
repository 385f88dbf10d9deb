"""The Grafana dashboard: requests, SLOs and tracing from observability's instruments, then other apps' panels.

Every query selects the ``job`` and ``instance`` template variables. A counter that has not
moved yet (spans dropped) still draws a line at 0 (``or vector(0)``), so an empty panel means a
query that is wrong, never a quiet service.
"""

from __future__ import annotations

from observability.alerting.contributions import Panel, contributed_panels
from observability.alerting.rules import DASHBOARD_UID, error_ratio
from observability.metrics.instruments import ACTIVE_REQUESTS, REQUEST_DURATION, SPANS_DROPPED, SPANS_EXPORTED

__all__ = ["SELECTOR", "dashboard"]

SCHEMA_VERSION = 39
SELECTOR = 'job="$job",instance=~"$instance"'
RATE = "$__rate_interval"
PANEL_WIDTH, PANEL_HEIGHT = 12, 8


def request_panels() -> list[Panel]:
    duration = REQUEST_DURATION.prometheus_name
    total = f"sum by (http_route) (rate({duration}_count{{{SELECTOR}}}[{RATE}]))"
    errors = f'sum by (http_route) (rate({duration}_count{{{SELECTOR},http_response_status_code=~"5.."}}[{RATE}]))'
    quantiles = tuple(
        (f"histogram_quantile({q}, sum by (http_route, le) (rate({duration}_bucket{{{SELECTOR}}}[{RATE}])))",
         f"p{round(q * 100)} {{{{http_route}}}}") for q in (0.5, 0.95, 0.99))
    return [
        Panel("Request rate per route", ((total, "{{http_route}}"),), "reqps"),
        Panel("Error ratio (5xx) per route", ((f"({errors} or 0 * {total}) / {total}", "{{http_route}}"),),
              "percentunit"),
        Panel("Latency per route", quantiles, "s"),
        Panel("Active requests", ((f"sum by (instance) ({ACTIVE_REQUESTS.prometheus_name}{{{SELECTOR}}})",
                                   "{{instance}}"),)),
    ]


def slo_panels() -> list[Panel]:
    budget = "on (slo) group_left slo:error_budget:ratio"
    return [
        Panel("SLO error budget left (last 3 days)",
              ((f"1 - {error_ratio('3d')} / {budget}", "{{slo}}"),), "percentunit"),
        Panel("SLO burn rate", tuple((f"{error_ratio(window)} / {budget}", f"{{{{slo}}}} {window}")
                                     for window in ("5m", "1h", "6h")), "short"),
    ]


def tracing_panels() -> list[Panel]:
    def spans(instrument) -> str:
        return f"sum(rate({instrument.prometheus_name}_total{{{SELECTOR}}}[{RATE}])) or vector(0)"

    return [Panel("Spans exported and dropped", ((spans(SPANS_EXPORTED), "exported"),
                                                 (spans(SPANS_DROPPED), "dropped")), "short")]


def grafana_panel(panel: Panel, number: int) -> dict:
    return {
        "id": number, "type": "timeseries", "title": panel.title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": PANEL_HEIGHT, "w": PANEL_WIDTH, "x": (number - 1) % 2 * PANEL_WIDTH,
                    "y": (number - 1) // 2 * PANEL_HEIGHT},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                    for index, (expr, legend) in enumerate(panel.queries)],
    }


def variable(name: str, query: str, **extra) -> dict:
    return {"name": name, "label": name, "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": query, "refId": name}, "definition": query, "refresh": 2, "sort": 1, **extra}


def dashboard(job: str) -> dict:
    """Grafana's JSON model of the dashboard, `job` preselected."""
    panels = [*request_panels(), *slo_panels(), *tracing_panels(), *contributed_panels()]
    return {
        "uid": DASHBOARD_UID, "title": "Chimera: requests, SLOs, health", "schemaVersion": SCHEMA_VERSION,
        "version": 1, "editable": True, "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
        "tags": ["observability"],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus"},
            variable("job", "label_values(up, job)", current={"text": job, "value": job}),
            variable("instance", 'label_values(up{job="$job"}, instance)', multi=True, includeAll=True,
                     allValue=".*", current={"text": "All", "value": "$__all"}),
        ]},
        "panels": [grafana_panel(panel, number) for number, panel in enumerate(panels, start=1)],
    }
