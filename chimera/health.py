"""The service layer on the health dashboard: llm_service, transformation_engine, providers.

Every probe here costs nothing at a provider: configuration and the outcome of recent calls
only, never a generation or any other request.
"""

from __future__ import annotations

from chimera.conf import get_service_config
from chimera.llm.service import LLMService, get_llm_service
from chimera.transform import TransformationEngine
from healthdash.status import CheckResult


class LLMServiceDown(Exception):
    """The default provider cannot be called: requests that name no provider fail."""


def check_llm_service(service: LLMService | None = None) -> CheckResult:
    """Down when the default provider is not configured; degraded when a configured one failed lately."""
    service = service or get_llm_service()
    statuses = service.statuses()
    default = next(status for status in statuses if status.default)
    details = {"default_provider": default.name,
               "available": [s.name for s in statuses if s.available],
               "not_configured": [s.name for s in statuses if not s.configured]}
    if not default.configured:
        raise LLMServiceDown(f"default provider {default.name} is not configured ({default.reason})")
    failing = [s for s in statuses if s.configured and not s.available]
    if failing:
        reason = "; ".join(f"{s.name}: {s.reason}" for s in failing)
        return CheckResult.degraded(reason, **details)
    return CheckResult.up(**details)


def check_transformation_engine() -> CheckResult:
    """The pipeline normalises and templates a fixed input as it should (pure CPU, no I/O)."""
    engine = TransformationEngine.from_config(get_service_config())
    engine.self_test()
    return CheckResult.up(max_chars=engine.max_chars)


def providers_section(detailed: bool) -> dict:
    """The dashboard's ``providers``: every provider, its configuration and availability.

    Why one is unavailable (``reason``) is a detail: shown to authorized callers only.
    """
    items = [status.as_dict() for status in get_llm_service().statuses()]
    if not detailed:
        items = [{**item, "reason": None} for item in items]
    return {"count": len(items), "items": items}
