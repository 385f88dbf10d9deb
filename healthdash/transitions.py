"""The fleet's record of status changes, kept in the database by compare-and-set on one row per service.

Every process that runs the checks compares each service's status with the row
(`healthdash.models.ServiceState`); a process that sees another status moves the row with an
UPDATE conditioned on the status it read. Only the process whose UPDATE changed the row records
the transition, so a change seen by several processes at once is recorded once. A status that
matches the row costs one SELECT and no write: the database is written on a change, and while a
change waits to be notified (at most ``HEALTH_NOTIFY_AFTER`` more small UPDATEs).

Notifications are damped the same way: `streak` counts the runs of the fleet that have seen the
row's status since it changed, and once it reaches ``HEALTH_NOTIFY_AFTER`` while it differs from
`notified`, another conditional UPDATE moves `notified`; the process whose UPDATE changed the row
sends the webhook. A status that flips back before it has held leaves `notified` as it was: no
notification. The first status the fleet ever sees of a service is where it starts, not a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F

from healthdash.models import ServiceState, Transition
from healthdash.status import ServiceResult

__all__ = ["Due", "Recorded", "latest", "prune", "record"]

REASON_LENGTH = 500  # a reason is a short sentence; a check's huge message is not kept whole


@dataclass(frozen=True)
class Due:
    """A change this process won the right to notify: `status` held, `previous` was the last one notified."""

    service: str
    status: str
    previous: str
    at: datetime  # when the fleet first saw `status`


@dataclass(frozen=True)
class Recorded:
    """What one run did to the history: the notifications it won, and whether it recorded a change."""

    due: list[Due]
    changed: bool


def record(results: Iterable[ServiceResult], *, notify_after: int, history_days: int, prune_old: bool = True,
           using: str = "default") -> Recorded:
    """Compare `results` with the stored states, record the transitions this process wins, and say what is due.

    With `prune_old`, a run that recorded a change also drops the transitions past `history_days`.
    """
    results = list(results)
    states = {state.service: state for state in
              ServiceState.objects.using(using).filter(service__in=[result.name for result in results])}
    first_seen = [ServiceState(service=r.name, status=r.status.value, since=r.checked_at, notified=r.status.value,
                               streak=notify_after) for r in results if r.name not in states]
    if first_seen:
        # Another process may insert the same service meanwhile: its row stands, this run is not a change.
        ServiceState.objects.using(using).bulk_create(first_seen, ignore_conflicts=True)
    due, moved = [], False
    for result in results:
        state = states.get(result.name)
        if state is not None:
            change, notification = _observe(state, result, notify_after, using)
            moved = moved or change
            if notification is not None:
                due.append(notification)
    if moved and prune_old:
        prune(history_days, using=using)
    return Recorded(due, moved)


def _observe(state: ServiceState, result: ServiceResult, notify_after: int, using: str) -> tuple[bool, Due | None]:
    """Whether this process recorded a change of `state`'s service, and the notification it won, if any."""
    status, rows = result.status.value, ServiceState.objects.using(using).filter(pk=state.pk)
    recorded = False
    if state.status != status:
        with transaction.atomic(using=using):
            recorded = rows.filter(status=state.status).update(status=status, since=result.checked_at, streak=1) == 1
            if recorded:
                Transition.objects.using(using).create(
                    service=state.service, previous=state.status, status=status, at=result.checked_at,
                    reason=(result.reason or "")[:REASON_LENGTH])
        if not recorded:  # another process moved the row first: this run counts if it saw the same status
            state = rows.first()
            if state is None or state.status != status:
                return False, None
    if state.notified == status:
        return recorded, None
    if not recorded:  # a further run of the status the row holds (the run that moved it counted as the first)
        rows.filter(status=status, streak__lt=notify_after).update(streak=F("streak") + 1)
    current = rows.values_list("status", "notified", "streak", "since").first()
    if current is None or current[0] != status or current[1] == status or current[2] < notify_after:
        return recorded, None
    won = rows.filter(status=status, notified=current[1], streak__gte=notify_after).update(notified=status) == 1
    return recorded, Due(state.service, status, current[1], current[3]) if won else None


def prune(history_days: int, *, using: str = "default") -> int:
    """Drop transitions older than `history_days`: one statement by the index on ``at``."""
    cutoff = datetime.now(UTC) - timedelta(days=history_days)
    return Transition.objects.using(using).filter(at__lt=cutoff).delete()[0]


def latest(service: str | None = None, limit: int = 100, *, using: str = "default") -> list[Transition]:
    """The newest transitions first, of `service` alone when given."""
    query = Transition.objects.using(using).all()
    if service is not None:
        query = query.filter(service=service)
    return list(query.order_by("-at", "-id")[:limit])
