"""A bounded pool of daemon threads for sync checks.

Not ``concurrent.futures.ThreadPoolExecutor``: its threads are joined when the interpreter
exits, so one check hung for good would keep a stopping gunicorn worker (or ``manage.py
health``) from ever exiting. These threads are daemons, never joined; the runner makes sure a
hung check holds at most one of them.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from healthdash.conf import get_settings


class CheckPool:
    """Runs submitted calls on at most `max_workers` threads, started only when needed."""

    def __init__(self, max_workers: int):
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []

    def submit(self, fn: Callable[..., object], *args: object) -> Future:
        """Run ``fn(*args)`` on a pool thread; its Future."""
        future: Future = Future()
        with self._lock:
            if self._pid != os.getpid():
                # Threads do not survive a fork (gunicorn --preload): start afresh in the child.
                self._reset()
            self._queue.put((future, fn, args))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
                thread = threading.Thread(target=self._work, name=f"healthdash-check-{len(self._threads)}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    @property
    def size(self) -> int:
        """Threads started so far (they stay, idle or busy)."""
        return len(self._threads)

    def _work(self) -> None:
        work_queue = self._queue
        while True:
            future, fn, args = work_queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to the waiting caller, as the stdlib pool does
                    future.set_exception(exc)
            del future, fn, args
            self._idle.release()


_shared: CheckPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> CheckPool:
    """The process's pool, sized by ``HEALTH_MAX_WORKERS`` when first used."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CheckPool(get_settings().max_workers)
        return _shared
