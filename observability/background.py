"""A bounded queue served by a daemon thread of the process's own: work kept off requests and check runs.

The journal's writer, the fleet's history and its webhook sender are each one. The thread starts
with the first item, and again in a forked child (a gunicorn worker inherits the master's object,
not its thread) with a queue of its own, so a child never waits on what its parent queued.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Generic, TypeVar

__all__ = ["BackgroundQueue"]

Item = TypeVar("Item")


class BackgroundQueue(Generic[Item]):
    """`queue`, at most `size` items, served by `_run()` on a daemon thread named `thread_name`."""

    thread_name = "background"

    def __init__(self, size: int):
        self.size = size
        self.queue: queue.Queue[Item] = queue.Queue(size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wait(self, timeout: float = 5.0) -> bool:
        """Whether every queued item was handled (or given up) within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.queue.unfinished_tasks

    def _start(self) -> None:
        """Start this process's thread unless it runs: at the first item, or the first since a fork."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid != os.getpid() or self._thread is None:
                self.queue = queue.Queue(self.size)
                self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
                self._pid = os.getpid()
                self._thread.start()

    def _run(self) -> None:
        """Take items from `self.queue` for ever, calling `task_done()` for each."""
        raise NotImplementedError
