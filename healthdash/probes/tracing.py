"""The ``tracing`` service: whether spans leave this process, from observability's status.

Disabled is ``up``; enabled but not exporting, or with a failed last export, is ``degraded``.
Not critical: requests are served whether or not their spans reach a collector.
"""

from __future__ import annotations

from healthdash.status import CheckResult
from observability.tracing.setup import tracing_status

PUBLIC_KEYS = ("enabled", "active", "exporter", "endpoint", "service_name", "sample_rate", "last_export",
               "spans_exported", "spans_dropped")


def tracing_active() -> bool:
    """Whether a tracer provider is installed and exporting in this process."""
    return bool(tracing_status().get("active"))


def check_tracing() -> CheckResult:
    """Up when tracing is off or exporting; degraded when enabled and not exporting well."""
    status = tracing_status()
    details = {key: status.get(key) for key in PUBLIC_KEYS if key in status}
    if not status.get("enabled"):
        return CheckResult(details=details)
    last_export = status.get("last_export") or {}
    if last_export.get("result") == "failure":
        return CheckResult.degraded("the last export failed", **details)
    if not status.get("active"):
        return CheckResult.degraded("enabled, but not exporting in this process", **details)
    return CheckResult(details=details)
