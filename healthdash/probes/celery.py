"""The ``celery`` service: the broker of a Celery app, its workers and its default queue.

Up when the broker answers and at least one worker answers a ping; degraded when the broker
answers and no worker does (published tasks wait); down when the broker cannot be reached.
The probe opens a broker connection of its own, every wait bounded by the probe's timeout
(a broker that accepts the connection and never answers is given up on), and closes it.
Import this module only where Celery is installed; a project registers the probe itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthdash.status import CheckResult

if TYPE_CHECKING:
    from celery import Celery
    from kombu import Connection

__all__ = ["CeleryProbe", "queue_length"]

POLL_SECONDS = 0.01


@dataclass(frozen=True)
class CeleryProbe:
    """Check of a Celery app's broker and workers; `timeout` bounds the whole check.

    A ping waits `reply_window` for each next reply (the first included), not a fixed time: a
    worker that is up answers within milliseconds, so the check ends about `reply_window` after
    the last reply, and `workers` counts those that answered so. Only when none answers within it
    does a second ping wait longer (`ping_share` of `timeout` for each reply), so a worker behind a
    slow link still counts.
    """

    app: Celery
    timeout: float = 2.0
    reply_window: float = 0.02  # seconds
    ping_share: float = 0.5

    def __call__(self) -> CheckResult:
        started = time.monotonic()
        connection = self.app.connection_for_write(
            connect_timeout=self.timeout,
            # polling_interval: on Redis, how long each BRPOP blocks (1 s by default), which closing
            # the connection waits for when one is still in flight after the ping.
            transport_options={"socket_timeout": self.timeout, "socket_connect_timeout": self.timeout,
                               "polling_interval": POLL_SECONDS},
        )
        try:
            connection.ensure_connection(max_retries=0, timeout=self.timeout)
            queue = self.app.conf.task_default_queue
            length = queue_length(connection, queue)
            replies = self.app.control.ping(timeout=self.reply_window, connection=connection)
            wait = max(min(self.timeout * self.ping_share, self.timeout - (time.monotonic() - started)), 0.05)
            if not replies:
                # No limit: the first ping's late replies arrive here too, and a limit counts them.
                replies = self.app.control.ping(timeout=wait, connection=connection)
        finally:
            connection.release()
        details = {"workers": len(replies), "queue": queue, "queue_length": length}
        if not replies:
            return CheckResult.degraded(f"no worker answered a ping within {self.reply_window + wait:.1f} s",
                                        **details)
        return CheckResult.up(**details)


def queue_length(connection: Connection, queue: str) -> int:
    """Messages waiting in `queue` (0 for a queue the broker has not created yet)."""
    from kombu.exceptions import ChannelError

    channel = connection.channel()
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # no such queue yet: nothing was ever published to it
        return 0
    finally:
        channel.close()
