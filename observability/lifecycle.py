"""How a server process stops and reloads without refusing or delaying a request.

- Draining: SIGTERM alone makes a load balancer keep routing to a server that refuses
  connections for as long as its probe interval. So a SIGTERM (to gunicorn's master, or to a
  worker, as systemd sends it to every process of a unit) first starts a drain: every
  worker keeps accepting and serving while ``draining()`` is true (the readiness probe answers
  503 then), and only when the drain ends does gunicorn's own graceful stop run. The seconds come
  from the app that owns the setting (``set_drain_seconds``; healthdash's HEALTH_DRAIN_SECONDS);
  0 keeps gunicorn's behaviour. SIGINT and SIGQUIT are left alone: they stay immediate.
- Reloads: gunicorn's SIGHUP sends SIGTERM to the old workers as soon as the new ones are forked,
  so requests wait for the new ones to import the application. An old worker told to stop by a
  reload keeps serving until every new worker has loaded it (at most the graceful timeout).
  Workers say they have loaded in a memory map the master shares with every worker it forks.

``observability.gunicorn`` calls these from gunicorn's hooks; the state is per process, and a
worker forked during a drain inherits it.
"""

from __future__ import annotations

import mmap
import signal
import struct
import threading
import time

from observability.compat import gunicorn as compat_gunicorn
from observability.metrics.instruments import SERVER_DRAINING

__all__ = ["draining", "drain_seconds", "set_drain_seconds"]

# One byte per worker age (modulo): 1 once that worker has loaded the application. The header
# holds the last reload's first new age and how many workers it started.
SLOTS = 4096
HEADER = struct.Struct("qq")
# How often an old worker looks whether its replacements have loaded.
REPLACEMENT_POLL_SECONDS = 0.05

_drain_seconds = 0.0
_drain_ends: float | None = None  # monotonic time at which the drain ends; None: not draining
_stopping = False  # the drain is over: the next SIGTERM is gunicorn's own
_boots: mmap.mmap | None = None
_replacing = False  # an old worker waits for the reload's new ones


def set_drain_seconds(seconds: float) -> None:
    """Drain this long after SIGTERM from now on (0: no drain)."""
    global _drain_seconds
    _drain_seconds = float(seconds)


def drain_seconds() -> float:
    return _drain_seconds


def draining() -> bool:
    """Whether this process is draining: still serving, but about to stop."""
    return _drain_ends is not None


def _start_drain(stop) -> None:
    """Begin the drain (once); `stop` runs when it ends."""
    global _drain_ends
    if _drain_ends is None:
        _drain_ends = time.monotonic() + _drain_seconds
        # For scrapes another worker answers. From a thread: this runs in a signal handler, which may have
        # interrupted the main thread holding the metrics' lock (a sync worker records its requests there).
        _later(0, lambda: SERVER_DRAINING.record(1.0))
    _later(max(_drain_ends - time.monotonic(), 0), stop)


def _later(seconds: float, action) -> None:
    timer = threading.Timer(seconds, action)
    timer.daemon = True  # never keeps a stopping process alive
    timer.start()


def _term_self() -> None:
    """From a timer thread: SIGTERM this process, which gunicorn's handler now takes as a stop.

    Sent to the main thread, whose wait it interrupts: the handler runs there, and a signal the
    kernel gave to this thread would wait for the main thread's next wake-up (a second in gthread).
    """
    global _stopping
    _stopping = True
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def watch_master(server) -> None:
    """In gunicorn's master: SIGTERM drains every worker first, then stops as gunicorn does."""
    global _boots
    _boots = mmap.mmap(-1, HEADER.size + SLOTS)  # shared with every worker forked from now on

    def handle_term(stop) -> None:
        if _stopping or _drain_seconds <= 0:
            stop()
        elif not draining():
            server.log.info("Draining for %gs before stopping", _drain_seconds)
            _start_drain(_term_self)
            server.kill_workers(signal.SIGTERM)

    compat_gunicorn.handle_master_sigterm(server, handle_term)


def reloading(server) -> None:
    """In the master, before a reload forks the new workers: their ages, and none loaded yet."""
    if _boots is None:
        return
    first, count = server.worker_age + 1, server.cfg.workers
    _boots[:HEADER.size] = HEADER.pack(first, count)
    for age in range(first, first + count):
        _boots[HEADER.size + age % SLOTS] = 0


def watch_worker(worker) -> None:
    """In a worker that has loaded the application: say so, and take SIGTERM as a drain or a replacement."""
    if _boots is not None:
        _boots[HEADER.size + worker.age % SLOTS] = 1
    stop = signal.getsignal(signal.SIGTERM)  # the worker's graceful stop
    graceful = float(worker.cfg.graceful_timeout)

    def handle_term(signum, frame) -> None:
        if _stopping:
            stop(signum, frame)
        elif _replaced_by_reload(worker.age):
            _be_replaced(time.monotonic() + graceful)
        elif _drain_seconds > 0:
            if not draining():
                worker.log.info("Draining for %gs before stopping (pid: %s)", _drain_seconds, worker.pid)
                _start_drain(_term_self)
        else:
            stop(signum, frame)

    signal.signal(signal.SIGTERM, handle_term)
    if draining():  # forked during the master's drain: stop when it ends
        _start_drain(_term_self)


def _replaced_by_reload(age: int) -> bool:
    """Whether the last reload started this worker's replacements."""
    if _boots is None:
        return False
    first, _count = HEADER.unpack(_boots[:HEADER.size])
    return first > 0 and age < first


def _replacements_loaded() -> bool:
    first, count = HEADER.unpack(_boots[:HEADER.size])
    return all(_boots[HEADER.size + age % SLOTS] for age in range(first, first + count))


def _be_replaced(deadline: float) -> None:
    """Stop once replaced (a repeated SIGTERM from the reload changes nothing)."""
    global _replacing
    if not _replacing:
        _replacing = True
        _wait_for_replacements(deadline)


def _wait_for_replacements(deadline: float) -> None:
    """Keep serving until every worker of the reload has loaded the application, then stop."""
    if _replacements_loaded() or time.monotonic() >= deadline:
        _term_self()
    else:
        _later(REPLACEMENT_POLL_SECONDS, lambda: _wait_for_replacements(deadline))
