"""The webhook: one POST per change that held, sent from a thread of its own with bounded retries.

The process that won a notification (`healthdash.transitions`) queues it here and goes on: the
check run and the request never wait for the webhook. A sender thread per process POSTs each
notification, at most ``ATTEMPTS`` times, ``HEALTH_DEADLINE`` seconds each (the bound of a whole
run of the checks), waiting a little longer before each retry; a 2xx or 3xx answer is delivered,
a 5xx, a 408, a 429, a timeout or a refused connection is tried again, any other answer is final.
Outcomes are counted in ``health_webhook_deliveries_total{outcome}`` (``delivered``, ``failed``, ``dropped``: the queue
was full) and retries in ``health_webhook_retries_total``. The URL is a secret: no log line, page
or message shows it (``observability.redaction`` masks it everywhere).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from healthdash.conf import get_settings
from healthdash.transitions import Due
from observability.background import BackgroundQueue
from observability.metrics.recording import Instrument
from observability.redaction import redact, url_secrets

__all__ = ["DELIVERIES", "RETRIES", "Sender", "payload", "sender", "webhook_secrets"]

logger = logging.getLogger(__name__)
ATTEMPTS = 3
BACKOFF = (1.0, 3.0)  # seconds before the second and the third attempt
QUEUE_SIZE = 64  # notifications waiting to be sent; changes are rare, a backlog past this is dropped
EXIT_WAIT = 2.0  # a stopping process gives its queued notifications this long
RETRY_STATUSES = frozenset({408, 429})

DELIVERIES = Instrument("health.webhook.deliveries", "counter", "{notification}",
                        "Health notifications by outcome: delivered, failed (after every retry) or dropped "
                        "(queue full).", ("outcome",))
RETRIES = Instrument("health.webhook.retries", "counter", "{attempt}",
                     "Health notification attempts made again after a failed one.")


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with ``Z``, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(due: Due, style: str) -> dict:
    """The JSON body: the change's fields, or for ``slack`` a ``text`` that says it."""
    if style == "slack":
        return {"text": f"Health: {due.service} is {due.status} (was {due.previous}) since {iso(due.at)}."}
    return {"service": due.service, "status": due.status, "previous": due.previous, "at": iso(due.at)}


def webhook_secrets() -> list[str]:
    """What of the webhook URL is secret: the URL, its path (a token lives there) and its query values."""
    url = get_settings().webhook_url
    if not url:
        return []
    path = urlsplit(url).path
    return [url, *([path] if len(path.strip("/")) >= 8 else []), *url_secrets(url)]


@dataclass(frozen=True)
class _Job:
    url: str
    body: bytes


class Sender(BackgroundQueue[_Job]):
    """POSTs queued notifications from a thread of its own, started in each process at its first notification."""

    thread_name = "health-webhook"

    def __init__(self, size: int = QUEUE_SIZE, attempts: int = ATTEMPTS, timeout: float | None = None,
                 backoff: tuple[float, ...] = BACKOFF):
        # timeout: seconds per attempt, to connect and again to read; None: HEALTH_DEADLINE
        super().__init__(size)
        self.attempts, self.timeout, self.backoff = attempts, timeout, backoff

    def send(self, due: Due) -> bool:
        """Queue `due` for the configured webhook without waiting; False when none is set or the queue is full."""
        config = get_settings()
        if not config.webhook_url:
            return False
        body = json.dumps(payload(due, config.webhook_format)).encode()
        self._start()
        try:
            self.queue.put_nowait(_Job(config.webhook_url, body))
        except queue.Full:
            DELIVERIES.add(1, "dropped")
            logger.warning("Health notification for %s dropped: %d are waiting for the webhook already",
                           due.service, self.size)
            return False
        return True

    def _run(self) -> None:
        jobs = self.queue
        while True:
            job = jobs.get()
            try:
                self._deliver(job)
            except Exception as error:  # never let one notification stop the thread
                DELIVERIES.add(1, "failed")
                logger.warning("Health notification not sent: %s", redact(f"{type(error).__name__}: {error}"))
            finally:
                jobs.task_done()

    def _deliver(self, job: _Job) -> None:
        for attempt in range(self.attempts):
            if attempt:
                RETRIES.add(1)
                time.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)] if self.backoff else 0)
            outcome, final = self._post(job)
            if outcome is None:
                DELIVERIES.add(1, "delivered")
                return
            if final:
                break
        DELIVERIES.add(1, "failed")
        # The outcome names a status or an error class, never the URL.
        logger.warning("Health notification not delivered after %d attempt(s): the webhook %s",
                       attempt + 1, outcome)

    def _post(self, job: _Job) -> tuple[str | None, bool]:
        """None when delivered, else what went wrong and whether trying again is pointless."""
        request = urllib.request.Request(job.url, data=job.body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            timeout = get_settings().deadline if self.timeout is None else self.timeout
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                response.read(1024)
                return None, False
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
            if 300 <= status < 400:
                return None, False
            return f"answered {status}", not (status >= 500 or status in RETRY_STATUSES)
        except (OSError, ValueError) as error:  # refused, reset, timed out, unresolvable
            reason = getattr(error, "reason", error)
            return f"failed ({type(reason).__name__})", False

    def flush(self, timeout: float = EXIT_WAIT) -> None:
        """Give queued notifications `timeout` seconds to go out (a stopping process)."""
        if self._thread is not None and self._pid == os.getpid():
            self.wait(timeout)


sender = Sender()
atexit.register(sender.flush)
