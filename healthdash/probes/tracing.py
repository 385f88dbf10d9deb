"""The ``tracing`` service: whether spans leave this process, from observability's status.

``observability.tracing.tracing_status()`` reports the exporter; without it (observability
not installed, or an older one) tracing counts as off. Disabled is ``up``; enabled but not
exporting, or with a failed last export, is ``degraded``. Not critical.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from healthdash.status import CheckResult

PUBLIC_KEYS = ("enabled", "active", "exporter", "endpoint", "service_name", "sample_rate", "last_export",
               "spans_exported", "spans_dropped")


def status_function() -> Callable[[], Mapping[str, object]] | None:
    """``observability.tracing.tracing_status``, or None when there is no such function."""
    try:
        module = importlib.import_module("observability.tracing")
    except ImportError:
        return None
    return getattr(module, "tracing_status", None)


def tracing_active() -> bool:
    """Whether a tracer provider is installed and exporting in this process."""
    function = status_function()
    try:
        return bool(function and function().get("active"))
    except Exception:
        return False


def check_tracing() -> CheckResult:
    """Up when tracing is off or exporting; degraded when enabled and not exporting well."""
    function = status_function()
    if function is None:
        return CheckResult.up(enabled=False, available=False)
    status = function()
    details = {key: status.get(key) for key in PUBLIC_KEYS if key in status}
    if not status.get("enabled"):
        return CheckResult(details=details)
    last_export = status.get("last_export") or {}
    if last_export.get("result") == "failure":
        return CheckResult.degraded("the last export failed", **details)
    if not status.get("active"):
        return CheckResult.degraded("enabled, but not exporting in this process", **details)
    return CheckResult(details=details)
