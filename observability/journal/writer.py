"""The journal's writer: entries from a bounded queue to the database, in a thread of its own.

``JournalMiddleware`` hands it each notable request after the response is closed; the response
never waits for the database. What the queue cannot take, and what the database refuses, is
counted in ``writer.dropped`` and in the metric ``request_journal_entries_dropped_total``, and
written to the log. After each batch the journal is pruned to ``REQUEST_JOURNAL_SIZE`` entries
and ``REQUEST_JOURNAL_TTL_HOURS``.
"""

from __future__ import annotations

import logging
import queue
from datetime import UTC, datetime, timedelta

from observability.background import BackgroundQueue
from observability.journal.configuration import get_journal_config
from observability.metrics.instruments import JOURNAL_DROPPED
from observability.redaction import redact

__all__ = ["Writer", "write", "writer"]

logger = logging.getLogger(__name__)
QUEUE_SIZE = 256  # entries waiting for the database; notable requests are few, a burst past this is dropped
BATCH = 50


class Writer(BackgroundQueue[dict]):
    """Writes entries from a bounded queue in a thread of its own, then prunes the journal to its bounds."""

    thread_name = "request-journal"

    def __init__(self, size: int = QUEUE_SIZE):
        super().__init__(size)
        self.dropped = 0  # entries lost: queue full or database failing

    def submit(self, entry: dict) -> None:
        """Queue `entry` without waiting; counted and logged as dropped when the queue is full."""
        self._start()
        try:
            self.queue.put_nowait(entry)
        except queue.Full:
            self._drop(1, "its queue is full")

    def _run(self) -> None:
        entries_queue = self.queue
        while True:
            batch = [entries_queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(entries_queue.get_nowait())
                except queue.Empty:
                    break
            try:
                write(batch)
            except Exception as error:
                self._drop(len(batch), f"the database failed: {redact(str(error))}")
            finally:
                for _ in batch:
                    entries_queue.task_done()

    def _drop(self, count: int, reason: str) -> None:
        self.dropped += count
        JOURNAL_DROPPED.add(count)
        logger.warning("The request journal dropped %d entries (%d in all): %s.", count, self.dropped, reason)


def write(entries: list[dict]) -> None:
    """Store `entries`, then drop what is past ``REQUEST_JOURNAL_SIZE`` or ``REQUEST_JOURNAL_TTL_HOURS``.

    Both deletions go by an index (the primary key, ``started_at``): each is one bounded statement.
    """
    from django.db import close_old_connections

    from observability.models import JournalEntry

    close_old_connections()
    try:
        config = get_journal_config()
        created = JournalEntry.objects.bulk_create([JournalEntry(**entry) for entry in entries])
        newest = max((entry.pk for entry in created if entry.pk is not None), default=None)
        if newest is None:
            newest = JournalEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        JournalEntry.objects.filter(pk__lte=newest - config.size).delete()
        JournalEntry.objects.filter(started_at__lt=datetime.now(UTC) - timedelta(hours=config.ttl_hours)).delete()
    finally:
        close_old_connections()


writer = Writer()
