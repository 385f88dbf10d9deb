"""The admin page's recent status changes: the fleet's history, newest first, beside the services' sparklines.

Read from the database at each page load (and by ``static/healthdash/health.js`` from
``/api/v1/health/history`` as it refreshes); a database that does not answer leaves the panel
saying so, and the rest of the page as it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError

from healthdash.admin_site.content import STATUS_LABELS, when
from healthdash.history import as_json
from healthdash.transitions import latest
from observability.redaction import redact

logger = logging.getLogger(__name__)
SHOWN = 10  # changes on the page; the history API has the rest


@dataclass(frozen=True)
class Change:
    """One row of the panel."""

    service: str
    previous: str
    status: str
    status_label: str
    at: str
    at_text: str
    reason: str


@dataclass(frozen=True)
class Changes:
    """The panel: its rows, or why there are none to show."""

    available: bool
    rows: tuple[Change, ...]


def recent_changes(limit: int = SHOWN) -> Changes:
    """The latest `limit` changes of the fleet, as the page writes them."""
    try:
        transitions = latest(limit=limit)
    except DatabaseError as error:
        logger.warning("Health history not read for the admin page: %s",
                       redact(f"{type(error).__name__}: {error}")[:300])
        return Changes(False, ())
    rows = []
    for transition in map(as_json, transitions):
        rows.append(Change(transition["service"], transition["from"], transition["to"],
                           STATUS_LABELS.get(transition["to"], transition["to"]), transition["at"],
                           when(transition["at"]), transition["reason"] or "—"))
    return Changes(True, tuple(rows))
