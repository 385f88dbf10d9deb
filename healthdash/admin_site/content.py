"""What the admin health page shows, built from the detailed dashboard JSON and the latency history.

The page's first paint is rendered from these values; ``static/healthdash/health.js`` renders
the same things from the same JSON when it refreshes (keep the two in step: labels, formats,
the banner's wording).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from healthdash.admin_site.sparkline import Sparkline, describe_rates, sparkline
from healthdash.dashboard import LatencyHistory
from healthdash.sections import RESERVED

STATUS_LABELS = {"up": "Up", "degraded": "Degraded", "down": "Down"}
MIDDLEWARE_LABELS = {
    "request_id": "Request IDs", "tracing": "Tracing", "metrics": "Metrics", "authentication": "Authentication",
    "sessions": "Sessions", "csrf": "CSRF protection", "security_headers": "Security headers",
    "clickjacking": "Clickjacking protection", "rate_limiting": "Rate limiting", "cors": "CORS",
}
# The tracing service's details (observability.tracing.setup.tracing_status()), in the order shown.
TRACING_FIELDS = (
    ("enabled", "Enabled"), ("active", "Exporting in this process"), ("exporter", "Exporter"),
    ("endpoint", "Endpoint"), ("service_name", "Service name"), ("sample_rate", "Sample rate"),
    ("last_export", "Last export"), ("spans_exported", "Spans exported"), ("spans_dropped", "Spans dropped"),
)
TRACING_SERVICE = "tracing"
EMPTY = "—"


@dataclass(frozen=True)
class Row:
    """One service in the table."""

    name: str
    status: str
    status_label: str
    critical: bool
    latency: str
    checked_at: str
    checked_at_text: str
    checked_at_clock: str
    description: str
    reason: str
    chart: Sparkline
    samples_json: str


@dataclass(frozen=True)
class Table:
    """A section another app added, as a table: column headers and rows of text (first cell heads the row)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    facts: tuple[tuple[str, str], ...]


def display(value: object) -> str:
    """A value as the page (and its script) writes it: yes/no, a dash for nothing, JSON for lists and dicts."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(_as_parsed(value))  # as the script writes the number it parsed: 1.0 is 1
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(_as_parsed(value), separators=(", ", ": "), ensure_ascii=False, default=str)
    return str(value)


def _as_parsed(value: object) -> object:
    """`value` with whole floats as ints, as JSON.parse() leaves them for the script."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, Mapping):
        return {key: _as_parsed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_parsed(item) for item in value]
    return value


def humanize(key: str) -> str:
    """``service_name`` -> ``Service name``."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def when(iso_time: object) -> str:
    """``2026-11-26T10:00:00.123Z`` -> ``2026-11-26 10:00:00 UTC`` (what the script writes too)."""
    if not isinstance(iso_time, str) or len(iso_time) < 19:
        return EMPTY
    return f"{iso_time[:10]} {iso_time[11:19]} UTC"


def clock(iso_time: object) -> str:
    """``2026-11-26T10:00:00.123Z`` -> ``10:00:00 UTC``: the time of day, for the table."""
    return when(iso_time)[11:] if when(iso_time) != EMPTY else EMPTY


def latency(value: object) -> str:
    """``1.4 ms``."""
    return f"{value:.1f} ms" if isinstance(value, int | float) and not isinstance(value, bool) else EMPTY


def banner(payload: Mapping) -> str:
    """The overall status in a sentence, naming the services that are not up."""
    services = payload.get("services", {})
    down_critical = [name for name, s in services.items() if s["status"] == "down" and s["critical"]]
    not_up = [name for name, s in services.items() if s["status"] != "up"]
    if down_critical:
        return f"Down: critical {'service' if len(down_critical) == 1 else 'services'} {', '.join(down_critical)}."
    if not_up:
        return f"Degraded: {len(not_up)} of {len(services)} services not up ({', '.join(not_up)})."
    return f"Up: all {len(services)} services are up."


def maintenance_text(payload: Mapping) -> str:
    """Who took the site out of rotation and when, with the reason; empty when maintenance is off."""
    state = payload.get("maintenance") or {}
    if not state.get("on"):
        return ""
    reason = f": {state['reason']}" if state.get("reason") else ""
    return (f"Maintenance: on since {when(state.get('since'))}, turned on by {state.get('by') or 'unknown'}{reason}. "
            "Readiness answers 503, so load balancers send no traffic here.")


def rows(payload: Mapping, history: LatencyHistory) -> list[Row]:
    """One row per service, with its sparkline from the samples this process has seen."""
    result = []
    for name, service in payload.get("services", {}).items():
        samples = [(s.latency_ms, s.status.value) for s in history.samples(name)]
        result.append(Row(
            name=name, status=service["status"], status_label=STATUS_LABELS.get(service["status"], service["status"]),
            critical=bool(service["critical"]), latency=latency(service.get("latency_ms")),
            checked_at=service.get("checked_at") or "", checked_at_text=when(service.get("checked_at")),
            checked_at_clock=clock(service.get("checked_at")),
            description=service.get("description") or EMPTY, reason=service.get("reason") or EMPTY,
            chart=sparkline(samples), samples_json=json.dumps(samples),
        ))
    return result


def tracing(payload: Mapping) -> list[tuple[str, str, str]]:
    """(key, label, text) of the tracing exporter, from the ``tracing`` service's details."""
    details = payload.get("services", {}).get(TRACING_SERVICE, {}).get("details") or {}
    return [(key, label, tracing_value(key, details[key])) for key, label in TRACING_FIELDS if key in details]


def tracing_value(key: str, value: object) -> str:
    """A tracing detail as text; the last export reads ``success at 2026-11-26 10:00:00 UTC``."""
    if key == "last_export" and isinstance(value, Mapping):
        if not value.get("result"):
            return "none yet"
        text = f"{value['result']} at {when(value.get('at'))}"
        return f"{text}: {value['error']}" if value.get("error") else text
    return display(value)


def middleware(payload: Mapping) -> list[tuple[str, str, str]]:
    """(key, label, state) of each protection the running configuration has."""
    return [(key, MIDDLEWARE_LABELS.get(key, humanize(key)), display(state))
            for key, state in payload.get("middleware", {}).items()]


def sections(payload: Mapping) -> list[Table]:
    """The sections other apps added (``providers``), each as a table."""
    return [section_table(name, value) for name, value in payload.items() if name not in RESERVED]


def section_table(name: str, value: object) -> Table:
    """A list of ``items`` becomes rows under their keys; other keys become facts above the table."""
    items = value.get("items") if isinstance(value, Mapping) else None
    if isinstance(items, list) and all(isinstance(item, Mapping) for item in items):
        columns = tuple(dict.fromkeys(key for item in items for key in item))
        table_rows = tuple(tuple(display(item.get(column)) for column in columns) for item in items)
        facts = tuple((humanize(k), display(v)) for k, v in value.items() if k != "items")
        return Table(name, humanize(name), tuple(map(humanize, columns)), table_rows, facts)
    if isinstance(value, Mapping):
        return Table(name, humanize(name), (), (), tuple((humanize(k), display(v)) for k, v in value.items()))
    return Table(name, humanize(name), (), (), (("Value", display(value)),))


@dataclass(frozen=True)
class TrafficRow:
    """One route of the Traffic block."""

    route: str
    requests: str
    error_share: str
    p50: str
    p95: str


@dataclass(frozen=True)
class Traffic:
    """The Traffic block: totals since the server started, rates between refreshes, the busiest routes."""

    served: bool
    at: str
    requests: int
    errors: int
    totals: str
    rate: str
    chart: Sparkline
    samples_json: str
    rows: tuple[TrafficRow, ...]


def share(value: float) -> str:
    """``0.5 %``."""
    return f"{value * 100:.1f} %"


def traffic_totals(traffic: Mapping) -> str:
    """``1200 requests, 0.5 % answered 5xx``."""
    requests, errors = traffic["requests"], traffic["errors"]
    return f"{requests} requests, {share(errors / requests if requests else 0.0)} answered 5xx"


def rate_text(rates: list[tuple[float, float]]) -> str:
    """``2.4 requests/s, 0.0 errors/s`` between the last two refreshes."""
    return f"{rates[-1][0]:.1f} requests/s, {rates[-1][1]:.1f} errors/s" if rates else EMPTY


def traffic(value: Mapping | None, rates: list[tuple[float, float]]) -> Traffic:
    """The block from the dashboard's ``traffic`` (None: /metrics not served) and the rates seen so far."""
    samples = [(round(requests, 3), "down" if errors > 0 else "up") for requests, errors in rates]
    chart = sparkline(samples, describe=describe_rates, empty="No rates yet: they appear as the page refreshes")
    if value is None:
        return Traffic(False, "", 0, 0, EMPTY, EMPTY, chart, "[]", ())
    rows = tuple(TrafficRow(route["route"], str(route["requests"]), share(route["error_share"]),
                            latency(route["p50_ms"]), latency(route["p95_ms"])) for route in value["routes"])
    return Traffic(True, repr(value["at"]), value["requests"], value["errors"], traffic_totals(value),
                   rate_text(rates), chart, json.dumps(samples), rows)
