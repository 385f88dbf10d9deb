"""The fleet's history of status changes, fed by every real run of the checks: `observe_run()`.

The runner calls `observe_run()` after each run that executed the checks (not one served from a
cache). The run is handed to a thread of this process's own, which compares it with the database
(`healthdash.transitions`) and queues the notifications it won (`healthdash.notifications`): a
database that is slow or down never delays a run or a request. The queue holds a few runs; when
the database falls behind, the newest runs wait and older ones are dropped, counted in
`Observer.dropped`. A failing database is logged once when it starts failing and once when it
answers again.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Mapping

from django.db import close_old_connections

from healthdash.conf import get_settings
from healthdash.models import Transition
from healthdash.notifications import iso, sender
from healthdash.status import ServiceResult
from healthdash.transitions import record
from observability.background import BackgroundQueue
from observability.redaction import redact

__all__ = ["Observer", "as_json", "observe_run", "observer"]

logger = logging.getLogger(__name__)
QUEUE_SIZE = 8  # runs waiting for the database; a run every few seconds, so this is most of a minute
PRUNE_SECONDS = 3600  # old transitions are dropped after a change, at most this often per process


class Observer(BackgroundQueue[tuple[ServiceResult, ...]]):
    """Records runs from a bounded queue, in a thread started in each process at its first run."""

    thread_name = "health-history"

    def __init__(self, size: int = QUEUE_SIZE):
        super().__init__(size)
        self.dropped = 0  # runs never recorded: queue full
        self.failing = False  # the latest attempt failed: the database did not answer
        self.accepting = True  # False: this process's runs stay out of the history (manage.py health)
        self._pruned = -float("inf")  # time.monotonic() of the latest pruning

    def submit(self, results: Mapping[str, ServiceResult]) -> None:
        """Queue a run's results without waiting; the oldest waiting run makes room when the queue is full."""
        self._start()
        item = tuple(results.values())
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self.queue.get_nowait()
                    self.queue.task_done()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def _run(self) -> None:
        runs = self.queue
        while True:
            results = runs.get()
            try:
                self.observe(results)
            except Exception:  # never let one run stop the thread: the next ones still count
                logger.exception("Health history: a run could not be observed")
            finally:
                runs.task_done()

    def observe(self, results: tuple[ServiceResult, ...]) -> None:
        """Record one run now, on this thread; the notifications won are queued for the webhook."""
        config = get_settings()
        close_old_connections()
        prune_old = time.monotonic() - self._pruned >= PRUNE_SECONDS
        try:
            recorded = record(results, notify_after=config.notify_after, history_days=config.history_days,
                              prune_old=prune_old)
        except Exception as error:  # the database is down, locked or not migrated: the next run tries again
            if not self.failing:
                logger.warning("Health history not recorded: the database failed (%s); trying again at each run",
                               redact(f"{type(error).__name__}: {error}")[:300])
            self.failing = True
            return
        finally:
            close_old_connections()
        if prune_old and recorded.changed:
            self._pruned = time.monotonic()
        if self.failing:
            logger.info("Health history recorded again: the database answers")
            self.failing = False
        for notification in recorded.due:
            logger.info("Health of %s is %s (was %s): notifying", notification.service, notification.status,
                        notification.previous)
            sender.send(notification)


observer = Observer()


def observe_run(run) -> None:
    """Hand a real run (a runner.Run) to the history; returns at once."""
    if run.results and observer.accepting:
        observer.submit(run.results)


def as_json(transition: Transition) -> dict:
    """A transition as the history API and the admin page show it."""
    return {"service": transition.service, "from": transition.previous, "to": transition.status,
            "at": iso(transition.at), "reason": transition.reason or None}
