"""Reading the journal: one entry by request ID, the latest ones by trace, status class, route or time.

The API (``observability.journal.api``) and the admin's search page (``healthdash.admin_site``)
both read through these, so both show an entry the same way.
"""

from __future__ import annotations

from datetime import datetime

from observability.journal.configuration import LOGS_PLACEHOLDER, TRACE_PLACEHOLDER, get_journal_config, link
from observability.request_id import is_valid_request_id

__all__ = ["LATEST", "as_json", "find", "is_trace_id", "latest", "status_range"]

LATEST = 50
TRACE_ID_LENGTH = 32
HEX = frozenset("0123456789abcdef")


def as_json(entry) -> dict:
    """An entry as the API answers it, with the links the configured templates give."""
    config = get_journal_config()
    return {
        "request_id": entry.request_id, "trace_id": entry.trace_id or None, "method": entry.method,
        "route": entry.route, "path": entry.path, "status": entry.status, "duration_ms": entry.duration_ms,
        "started_at": entry.started_at.isoformat().replace("+00:00", "Z"), "instance": entry.instance,
        "user": entry.user or None, "exception": entry.exception or None, "logs": entry.logs,
        "links": {"trace": link(config.trace_url_template, TRACE_PLACEHOLDER, entry.trace_id or None),
                  "logs": link(config.logs_url_template, LOGS_PLACEHOLDER, entry.request_id)},
    }


def find(request_id: str):
    """The newest entry of `request_id`; None for an unknown ID or one that no request could carry."""
    from observability.models import JournalEntry

    if not is_valid_request_id(request_id):
        return None
    return JournalEntry.objects.filter(request_id=request_id).order_by("-pk").first()


def is_trace_id(value: str) -> bool:
    return len(value) == TRACE_ID_LENGTH and set(value) <= HEX


def status_range(value: str) -> tuple[int, int] | None:
    """``5xx`` -> (500, 599), ``503`` -> (503, 503); None for anything else."""
    if len(value) == 3 and value[0] in "12345" and value[1:].lower() == "xx":
        first = int(value[0]) * 100
        return first, first + 99
    if len(value) == 3 and value.isdigit():
        return int(value), int(value)
    return None


def latest(trace_id: str | None = None, status: tuple[int, int] | None = None, route: str | None = None,
           since: datetime | None = None, limit: int = LATEST) -> list:
    """The newest entries matching every filter given; none for a trace ID that is not one."""
    from observability.models import JournalEntry

    entries = JournalEntry.objects.order_by("-started_at", "-pk")
    if trace_id is not None:
        if not is_trace_id(trace_id.lower()):
            return []
        entries = entries.filter(trace_id=trace_id.lower())
    if status is not None:
        entries = entries.filter(status__gte=status[0], status__lte=status[1])
    if route:
        entries = entries.filter(route=route)
    if since is not None:
        entries = entries.filter(started_at__gte=since)
    return list(entries[:limit])
