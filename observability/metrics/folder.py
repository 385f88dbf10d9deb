"""The folder where the processes of one server share their metric values.

gunicorn's master makes it as its configuration loads, before it forks any worker
(``observability.gunicorn``): a fresh temporary folder, or ``METRICS_MULTIPROC_DIR`` (else
``PROMETHEUS_MULTIPROC_DIR``) emptied of the files of an earlier run, so a new master always
starts from zero. The master exports it to its workers as ``PROMETHEUS_MULTIPROC_DIR`` and, when
it exits, removes the folder it made (or empties the configured one).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # where prometheus_client's multiprocess mode writes


def prepare(configured: str | None) -> str:
    """In the master, before it forks: the folder, empty and exported; cleaned up when the master exits."""
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        _empty(folder)
    else:
        folder = Path(tempfile.mkdtemp(prefix="chimera-metrics-"))
    os.environ[FOLDER_VARIABLE] = str(folder)
    atexit.register(_clean_up, folder, not configured, os.getpid())
    # Before gunicorn's logging is set up: a plain line on stderr, where gunicorn writes its own.
    print(f"Metrics: the workers share their values in {folder}", file=sys.stderr, flush=True)
    return str(folder)


def forget_process(pid: int) -> None:
    """Drop what process `pid` counted as live (running requests); its counts stay."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder and os.path.isdir(folder):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, folder)


def _empty(folder: Path) -> None:
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


def _clean_up(folder: Path, made_here: bool, master: int) -> None:
    if os.getpid() != master:  # a worker exiting runs the master's exit handlers too
        return
    if made_here:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        _empty(folder)
