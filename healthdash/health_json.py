"""The IETF health check response format (``application/health+json``).

draft-inadarei-api-health-check: ``status`` is ``pass``/``warn``/``fail``; ``checks`` maps
``<component>:<measurement>`` to a list of observations. Each service gives one observation,
``<name>:responseTime``, with ``observedValue`` in milliseconds. The same visibility rules as
the JSON dashboard apply: the check time and the reason (``output``) are details.
"""

from __future__ import annotations

from healthdash.audience import Audience
from healthdash.payload import iso
from healthdash.runner import Run
from healthdash.status import Status

MEDIA_TYPE = "application/health+json"
IETF_STATUS = {Status.UP: "pass", Status.DEGRADED: "warn", Status.DOWN: "fail"}


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
