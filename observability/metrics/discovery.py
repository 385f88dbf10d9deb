"""gunicorn's master found without its hooks, and the warning where several workers cannot share.

Under plain ``gunicorn -w N project.wsgi`` nothing of this project runs in the master, so no
folder is ready before the fork (``observability.gunicorn`` makes one when a configuration
file calls it: the fast path). Each worker then finds its master, its parent process running
gunicorn, and writes into the folder named after the master's pid and start time
(``observability.metrics.folder.master_folder()``): the workers of one master meet there, and
a new master starts from zero even with a pid used before. A master that preloads the
application makes that folder itself, before it forks. The folder of a master that is gone is
removed by the next process that finds it; as no ``child_exit`` of ours runs in the master,
each scrape first forgets the workers that ended (``observability.metrics.compaction``).

Under another server whose workers are several processes of one parent (uvicorn or hypercorn
with ``--workers``, ...), nothing can empty a folder at each start or tell a worker that
ended: each worker keeps its own values, and ``observability.W060`` says so, as a system check
and as one warning line when the worker starts.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys

from observability import process_info
from observability.metrics import compaction, folder
from observability.metrics.prometheus import PrometheusBackend

UNSHARED_ID = "observability.W060"
UNSHARED_HINT = ("Serve the application with gunicorn, where plain `gunicorn -w N project.wsgi` is exact, or push "
                 "the metrics (METRICS_EXPORTER=otlp) so that a collector sums the processes.")
# Servers that run an application in several processes started by one parent.
SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "granian", "daphne", "uwsgi"})
logger = logging.getLogger("observability.metrics")

_masters: dict[int, int | None] = {}  # pid of this process -> its gunicorn master: a forked child asks again


def gunicorn_master() -> int | None:
    """The pid of the gunicorn master this process serves (its parent, or itself while preloading), else None."""
    pid = os.getpid()
    if pid not in _masters:
        _masters[pid] = _find_master()
    return _masters[pid]


def _find_master() -> int | None:
    from observability.startup import reports_configuration

    # Not gunicorn at all, or the hooks' forked child that only reports the configuration to the master.
    if "gunicorn.arbiter" not in sys.modules or reports_configuration():
        return None
    parent = os.getppid()
    if process_info.runs_gunicorn(parent):
        return parent
    if process_info.runs_gunicorn(os.getpid()):
        return os.getpid()
    return None


def prometheus_backend(configured: str | None) -> PrometheusBackend:
    """The backend behind ``/metrics``: in `configured`, else in this gunicorn master's folder, else in memory."""
    master = gunicorn_master()
    shared = folder.master_folder(master) if master is not None else None
    if configured and (shared is None or os.path.abspath(configured) != str(shared)):
        return PrometheusBackend(configured)
    if shared is not None:
        try:
            problem = folder.make_private(shared)
        except OSError as exc:
            problem = str(exc)
        if problem is None:
            folder.remove_abandoned_folders()
            return PrometheusBackend(str(shared), functools.partial(compaction.forget_ended, shared, master))
        logger.warning("Metrics: each worker keeps its own values, as its master's folder cannot be used: %s",
                       problem)
    elif message := unshared_workers():
        logger.warning("%s %s (%s)", message, UNSHARED_HINT, UNSHARED_ID)
    return PrometheusBackend(None)


def unshared_workers() -> str | None:
    """Why ``/metrics`` shows one process's values: this process is one of several workers of a server; else None."""
    parent = os.getppid()
    server = process_info.program(process_info.command_line(parent), SERVERS)
    if server is None:
        return None
    mine = _shape(process_info.command_line(os.getpid()))
    workers = [child for child in process_info.children_of(parent)
               if _shape(process_info.command_line(child)) == mine]
    if len(workers) < 2:
        return None
    return (f"/metrics counts only the worker that answers: this process is one of {len(workers)} worker "
            f"processes of {server} (pid {parent}), which share no metrics folder.")


def _shape(arguments: list[str]) -> list[str]:
    """A command line without its numbers: workers started alike differ only in descriptors they were given."""
    return [re.sub(r"\d+", "", argument) for argument in arguments]
