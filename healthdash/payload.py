"""The dashboard's JSON, built from a run for one audience (the shape of DESIGN.md, "Health")."""

from __future__ import annotations

from datetime import datetime

from healthdash.audience import Audience
from healthdash.middleware_status import middleware_statuses
from healthdash.redaction import redact_tree
from healthdash.runner import Run
from healthdash.sections import SectionRegistry
from healthdash.status import ServiceResult


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
