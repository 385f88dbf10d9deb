"""The documents the dashboard answers, built from a run for one audience.

- ``dashboard_payload()``: the dashboard JSON (the shape of DESIGN.md, "Health"), with ``maintenance``.
- ``health_json()`` and ``HealthJSONRenderer``: the IETF health check response format
  (``application/health+json``, draft-inadarei-api-health-check): ``status`` is
  ``pass``/``warn``/``fail``; ``checks`` maps ``<name>:responseTime`` to one observation with
  ``observedValue`` in milliseconds. The same visibility rules apply: the check time and the
  reason (``output``) are details.
"""

from __future__ import annotations

from datetime import datetime

from rest_framework.renderers import JSONRenderer

from healthdash import maintenance
from healthdash.access import Audience
from healthdash.middleware_status import middleware_statuses
from healthdash.runner import Run
from healthdash.sections import SectionRegistry
from healthdash.status import ServiceResult, Status
from observability.redaction import redact_tree

MEDIA_TYPE = "application/health+json"
IETF_STATUS = {Status.UP: "pass", Status.DEGRADED: "warn", Status.DOWN: "fail"}


def iso(moment: datetime) -> str:
    """``2026-11-26T10:00:00.123Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dashboard_payload(run: Run, audience: Audience, sections: SectionRegistry) -> dict[str, object]:
    """The dashboard for `audience`: nothing it may not see, nothing secret at any level."""
    if audience is Audience.OVERALL:
        return {"status": run.status.value}
    detailed = audience is Audience.DETAILED
    payload: dict[str, object] = {"status": run.status.value, "checked_at": iso(run.checked_at)}
    if detailed:
        payload["duration_ms"] = run.duration_ms
    payload["services"] = {name: service_entry(result, detailed) for name, result in run.results.items()}
    payload["middleware"] = middleware_statuses()
    payload["maintenance"] = maintenance_entry(maintenance.current(), detailed)
    for name, value in sections.collect(detailed).items():
        payload[name] = redact_tree(value)
    return payload


def service_entry(result: ServiceResult, detailed: bool) -> dict[str, object]:
    """One service: status for everyone; description, reason, details and check time when detailed."""
    entry: dict[str, object] = {
        "registered": True, "status": result.status.value, "critical": result.critical,
        "latency_ms": result.latency_ms,
    }
    if detailed:
        entry.update(description=result.description, reason=result.reason, checked_at=iso(result.checked_at),
                     details=dict(result.details))
    return entry


def maintenance_entry(state: maintenance.State, detailed: bool) -> dict[str, object]:
    """Maintenance: on and since for everyone; the reason, who and Retry-After when detailed."""
    entry: dict[str, object] = {"on": state.on, "since": iso(state.since) if state.since else None}
    if detailed:
        entry.update(reason=state.reason, by=state.by, retry_after=state.retry_after)
    return entry


def health_json(run: Run, audience: Audience) -> dict[str, object]:
    """The run in the IETF format, for `audience`."""
    document: dict[str, object] = {"status": IETF_STATUS[run.status]}
    if audience is Audience.OVERALL:
        return document
    detailed = audience is Audience.DETAILED
    checks = {}
    for name, result in run.results.items():
        observation: dict[str, object] = {
            "componentId": name, "componentType": result.component_type, "observedValue": result.latency_ms,
            "observedUnit": "ms", "status": IETF_STATUS[result.status],
        }
        if detailed:
            observation["time"] = iso(result.checked_at)
            if result.reason:
                observation["output"] = result.reason
        checks[f"{name}:responseTime"] = [observation]
    document["checks"] = checks
    return document


class HealthJSONRenderer(JSONRenderer):
    """JSON under the IETF health check media type; the view builds the matching document."""

    media_type = MEDIA_TYPE
    format = "health+json"
