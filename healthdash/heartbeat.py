"""Each server process records itself in the fleet every ``HEALTH_HEARTBEAT_SECONDS``, on a thread of its own.

The thread starts once per process (a forked worker starts its own): when gunicorn's worker has
loaded the application (``observability.processes.worker_started``, sent from the project's gunicorn
hooks), or at the first request a real server hands over (another server, ``runserver``).
Management commands and the test client never start it. A worker that stops of its own accord
(``worker_stopping``) removes its record; one killed outright goes stale, then leaves. A store that
fails is logged once a minute and tried again at the next beat: a heartbeat never reaches a request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime

from django.db import connections

from healthdash.conf import get_settings
from healthdash.fleet import CacheStore, DatabaseStore, Instance, fleet_store
from observability.fail_open import CacheGuard
from observability.instance import instance_id

__all__ = ["Heartbeat", "heartbeat", "leave_fleet", "start_heartbeat", "start_on_first_request"]

logger = logging.getLogger(__name__)
TEST_SERVER = "testserver"  # the server name of Django's test client and request factory
LEAVE_WAIT = 1.0  # seconds a stopping worker waits for its record to be removed: a hung store costs no more


class Heartbeat:
    """This process's record in the fleet, written every beat by a daemon thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = 0  # the process the thread runs in: a fork has none until it starts its own
        self._stop = threading.Event()
        self.started_at = datetime.now(UTC)
        self.store: CacheStore | DatabaseStore | None = None
        self._guard = CacheGuard("The fleet's heartbeat", backend="the fleet's store")

    def start(self) -> bool:
        """Start beating in this process, unless it already does; whether this call started it."""
        pid = os.getpid()
        if self._pid == pid:
            return False
        with self._lock:
            if self._pid == pid:
                return False
            self._pid, self._stop = pid, threading.Event()
            self.started_at, self.store = datetime.now(UTC), fleet_store()
            threading.Thread(target=self._run, args=(self._stop,), name="healthdash-heartbeat", daemon=True).start()
        return True

    @property
    def running(self) -> bool:
        """Whether this process beats."""
        return self._pid == os.getpid()

    def stop(self) -> None:
        """Stop beating (tests; a stopping process simply ends)."""
        with self._lock:
            self._stop.set()
            self._pid = 0

    def leave(self, wait: float = LEAVE_WAIT) -> None:
        """Stop beating and remove this process's record, waiting at most `wait` seconds for the store."""
        store, running = self.store, self.running
        self.stop()
        if not running or store is None:
            return
        leaving = threading.Thread(target=self._forget, args=(store,), name="healthdash-leave", daemon=True)
        leaving.start()
        leaving.join(wait)

    def _forget(self, store: CacheStore | DatabaseStore) -> None:
        try:
            self._guard.call(lambda: store.forget(instance_id()), None)
        finally:
            connections.close_all()

    def me(self) -> Instance:
        """This process's record as of now."""
        return Instance(instance_id(), socket.gethostname(), os.getpid(), get_settings().service_version,
                        self.started_at, datetime.now(UTC))

    def beat(self) -> None:
        """Record this process once; a failing store is logged (at most once a minute), never raised."""
        store = self.store = self.store or fleet_store()
        self._guard.call(lambda: store.record(self.me(), get_settings().heartbeat_seconds), None)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.beat()
            finally:
                connections.close_all()  # this thread's connection: a database that went away is reached anew
            stop.wait(get_settings().heartbeat_seconds)


heartbeat = Heartbeat()


def start_heartbeat(**kwargs) -> None:
    """Receiver of ``worker_started``: a server worker has loaded the application."""
    heartbeat.start()


def leave_fleet(**kwargs) -> None:
    """Receiver of ``worker_stopping``: a worker that stops leaves the fleet at once instead of going stale."""
    heartbeat.leave()


def start_on_first_request(*, environ=None, scope=None, **kwargs) -> None:
    """Receiver of ``request_started``: a real server's first request starts the heartbeat (the test client's never)."""
    if heartbeat.running:
        return
    if environ is not None:
        real = "SERVER_SOFTWARE" in environ and environ.get("SERVER_NAME") != TEST_SERVER
    else:
        real = scope is not None and (scope.get("server") or (TEST_SERVER,))[0] != TEST_SERVER
    if real:
        heartbeat.start()
