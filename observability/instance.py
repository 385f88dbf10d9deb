"""This process's ``service.instance.id``: one per process, a worker forked from a master gets its own.

Spans, OTLP metrics and journal entries (as ``instance``) all carry it, so an operator goes from
an entry to the worker's spans and metrics. It is the ID OpenTelemetry's SDK makes for the process
(its ``service_instance`` resource detector, which every ``Resource.create()`` runs): a tracer
provider built before a fork (gunicorn's master preloading the app) has its resource refreshed by
the SDK in each child with that same detector, so the spans of a worker carry this value too.
"""

from __future__ import annotations

import os

__all__ = ["instance_id"]

_current: tuple[int, str] = (0, "")


def instance_id() -> str:
    """The ID of the running process, the SDK's for it (made on first use in the process)."""
    global _current
    pid = os.getpid()
    if _current[0] != pid:  # first use, or first use since a fork
        from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, ServiceInstanceIdResourceDetector

        _current = (pid, str(ServiceInstanceIdResourceDetector().detect().attributes[SERVICE_INSTANCE_ID]))
    return _current[1]
