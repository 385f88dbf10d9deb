"""gunicorn's threaded worker with one request running Python at a time, unless it waits.

Threads of one worker share its GIL: with gthread alone, every request in flight takes turns in
slices of the interpreter's switch interval, so a CPU-bound request finishes after its neighbours'
slices as well as its own, and the worker switches threads for nothing. `AdmittingThreadWorker`
admits one request into the application at a time, as a sync worker serves, while its other
threads still read request heads and bodies and idle or trickling connections still cost a
thread, not the worker. A thread keeps a kept-alive connection for a moment after answering,
so a client's next request does not go through the worker's poller and back.

A request that runs longer than the lease is taken to be waiting (a provider call, a query, a
slow client reading its answer): the next request is admitted beside it, so a slow call holds
its own request and, once, the lease of the request behind it. The lease is
``GUNICORN_ADMISSION_MS`` (gunicorn.conf.py); docs/performance.md has the measurements.

Both workers here (with and without admission) read what the application left of a request's
body before the connection goes on or closes, so a refused upload gets its answer, not a reset
(`BodyReadingThreadWorker`).

    gunicorn -c python:observability.gunicorn_conf \
        --worker-class observability.workers.AdmittingThreadWorker --threads 64 mysite.wsgi
"""

from __future__ import annotations

import select
import threading
import time
from collections import deque

from gunicorn.workers.gthread import ThreadWorker

from observability.compat.gunicorn import discard_request_body, has_buffered_request, keeps_http1_connection

__all__ = ["Admission", "AdmittingThreadWorker", "BodyReadingThreadWorker", "DEFAULT_LEASE_SECONDS",
           "admitting_worker"]

DEFAULT_LEASE_SECONDS = 0.005


class _Waiter:
    """A caller waiting for its turn: blocks on a lock of its own, released to wake it."""

    __slots__ = ("admitted", "wake")

    def __init__(self) -> None:
        self.admitted = False
        self.wake = threading.Lock()
        self.wake.acquire()


class Admission:
    """Lets callers in one at a time, in the order they came; one inside for longer than `lease`
    seconds no longer counts, and the next goes in beside it."""

    def __init__(self, lease: float = DEFAULT_LEASE_SECONDS) -> None:
        self.lease = lease
        self._lock = threading.Lock()
        # The turn is handed straight to the first in line, so a caller that just left cannot
        # barge back in ahead of those waiting.
        self._queue: deque[_Waiter] = deque()
        self._holder: _Waiter | None = None  # None only while nobody waits
        self._since = 0.0

    @property
    def waiting(self) -> int:
        """How many callers wait for their turn."""
        return len(self._queue)

    def enter(self) -> object:
        """Wait for a turn; the token returned goes to `leave`."""
        waiter = _Waiter()
        with self._lock:
            if self._holder is None:
                self._admit(waiter)
                return waiter
            self._queue.append(waiter)
        while True:
            with self._lock:
                if waiter.admitted:  # handed the turn (it may have lost it since, to a lease run out)
                    return waiter
                first = self._queue[0] is waiter
                remaining = self._since + self.lease - time.monotonic()
                if first and remaining <= 0:  # the holder waits on something: it counts no more
                    self._admit(self._queue.popleft())
                    return waiter
            # Only the first in line watches the holder's lease; the others wait to be first.
            waiter.wake.acquire(timeout=remaining if first else -1)

    def leave(self, token: object) -> None:
        with self._lock:
            if self._holder is not token:
                return  # outlasted its lease: its successor holds the turn
            if self._queue:
                self._admit(self._queue.popleft())
            else:
                self._holder = None

    def _admit(self, waiter: _Waiter) -> None:
        """Give `waiter` the turn, and have the new first in line watch its lease (lock held)."""
        waiter.admitted = True
        self._holder, self._since = waiter, time.monotonic()
        for woken in (waiter, self._queue[0] if self._queue else None):
            if woken is not None and woken.wake.locked():
                woken.wake.release()


class BodyReadingThreadWorker(ThreadWorker):
    """gthread that reads what the application left of a request's body before the connection goes on or closes.

    A refused upload (a 413 answered from its Content-Length) leaves the body on the socket.
    gunicorn reads 64 KiB of it at most, then closes (always when the worker stops: its answer
    says ``Connection: close``); closing a socket with unread data makes the kernel send a
    reset, and a client still sending its body sees the reset instead of the answer. Here the
    rest is read, up to `discard_body_bytes` within `discard_body_seconds` (so a slow or
    endless body cannot hold a stopping worker); a longer body gets the close as before.
    """

    discard_body_bytes = 16 * 1024 * 1024
    discard_body_seconds = 2.0

    def handle_request(self, req, conn):
        try:
            keepalive = self.serve(req, conn)
        except Exception:
            # gunicorn answers with an error page next, and closes: the same unread body.
            discard_request_body(req, self.discard_body_bytes, self.discard_body_seconds)
            raise
        discard_request_body(req, self.discard_body_bytes, self.discard_body_seconds)
        return keepalive

    def serve(self, req, conn):
        """Run the application for `req` and write its answer; whether the connection stays open."""
        return super().handle_request(req, conn)


class AdmittingThreadWorker(BodyReadingThreadWorker):
    """gthread whose requests run the application one at a time (see the module's docstring)."""

    lease_seconds = DEFAULT_LEASE_SECONDS
    # How long a thread that answered a kept-alive connection waits for its next request before
    # handing it back to the worker's poller. gthread alone hands every connection back after each
    # response: two thread wake-ups per request (to the poller and back), each a GIL hand-off.
    next_request_seconds = 0.05

    def handle(self, conn):
        keepalive = super().handle(conn)
        while keepalive is True and self.alive and keeps_http1_connection(conn) and self._next_request_arrives(conn):
            keepalive = super().handle(conn)
        return keepalive

    def _next_request_arrives(self, conn) -> bool:
        if self.next_request_seconds <= 0:
            return False
        if has_buffered_request(conn):  # read ahead with the last body: already here
            return True
        poller = select.poll()
        poller.register(conn.sock, select.POLLIN)
        try:
            return bool(poller.poll(self.next_request_seconds * 1000))
        except OSError:
            return False

    def init_process(self) -> None:
        self.admission = Admission(self.lease_seconds)
        super().init_process()

    def serve(self, req, conn):
        # The head is parsed before: a client trickling it holds its thread only. A body the
        # application reads slowly, or an answer the client takes slowly, outlasts the lease and
        # lets the next request in. What the application left of the body is read after the turn.
        if self.lease_seconds <= 0:
            return super().serve(req, conn)
        token = self.admission.enter()
        try:
            return super().serve(req, conn)
        finally:
            self.admission.leave(token)


def admitting_worker(lease_ms: int) -> type[ThreadWorker]:
    """The worker class for gunicorn's ``worker_class``: lease in milliseconds, 0 for gthread's own scheduling."""
    if lease_ms == 0:
        return BodyReadingThreadWorker
    return type("AdmittingThreadWorker", (AdmittingThreadWorker,), {"lease_seconds": lease_ms / 1000})
