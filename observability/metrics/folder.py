"""The folder where the processes of one server share their metric values.

gunicorn's master prepares it as its configuration loads, before it forks any worker
(``observability.gunicorn``): a fresh temporary folder, or ``METRICS_MULTIPROC_DIR`` (else
``PROMETHEUS_MULTIPROC_DIR``) emptied of an earlier run's metrics files, so a new master always
starts from zero. It exports the folder to its workers as ``PROMETHEUS_MULTIPROC_DIR`` and, when
it exits, removes the folder it made (or empties the configured one).

Only prometheus_client's own files are ever deleted: a folder holding anything else is refused,
never emptied. The master holds a lock on a marker file in the folder for its whole life (its
workers inherit it), so a second master refuses a folder that a live one uses, and a master
killed outright leaves a folder whose lock is free: the next master removes such folders of
its own making. A reload (SIGHUP) runs the configuration again in the same master, which keeps
its folder and every count in it.

Without the hooks (plain ``gunicorn -w N project.wsgi``) the master runs no code of this project:
its workers meet in a folder named after the master's pid and start time (``master_folder()``,
``observability.metrics.discovery``), which no lock guards. A process that finds the master of
such a folder gone removes it, by the same rules.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from observability import process_info

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # where prometheus_client's multiprocess mode writes
# The folder a master made and exported: a master that inherits it (gunicorn's USR2 upgrade
# execs one with the old master's variables) makes its own instead of taking the old one's.
MADE_VARIABLE = "OBSERVABILITY_METRICS_FOLDER_MADE"
MARKER = "observability-master.lock"  # locked by the master using the folder; holds its pid
# Shared by readers, exclusive while dead processes' files are merged (observability.metrics.compaction).
READERS_LOCK = "observability-readers.lock"
TEMPORARY_PREFIX = "chimera-metrics-"
# The folder of a master without hooks: its pid and start time, so a pid used again names another folder.
_MASTER_FOLDER = re.compile(rf"{TEMPORARY_PREFIX}gunicorn-(\d+)-(\w+)")
# prometheus_client's multiprocess files: <kind>_<pid>.db, gauges <gauge>_<multiprocess_mode>_<pid>.db;
# <kind>_archive.db holds the merged values of dead processes (.new while it is being written).
_GAUGE_MODES = "(?:live)?(?:all|min|max|sum|mostrecent)"
_OWN_FILE = re.compile(rf"(?:counter|histogram|summary|gauge_{_GAUGE_MODES})_(?:\d+|archive)\.db(?:\.new)?")
_LOCKS = (MARKER, READERS_LOCK)


class FolderRefused(ValueError):
    """The configured folder cannot be this server's: the message names the variable and the folder."""


@dataclass(frozen=True)
class _Prepared:
    path: Path
    made_here: bool
    lock: int  # the marker's descriptor, open (and locked) while the master lives


_prepared: _Prepared | None = None


def is_metrics_file(name: str) -> bool:
    """Whether `name` is a file prometheus_client writes in a multiprocess folder."""
    return _OWN_FILE.fullmatch(name) is not None


def folder_problem(path: str | os.PathLike) -> str | None:
    """Why `path` cannot be a server's own metrics folder (the root, a file, other files in it), or None."""
    folder = Path(path)
    if folder.resolve() == Path(folder.resolve().anchor):
        return "is the root folder"
    if not folder.exists():
        return None
    if not folder.is_dir():
        return "is not a folder"
    others = sorted(name for name in os.listdir(folder) if name not in _LOCKS and not is_metrics_file(name))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return f"holds files other than metrics files ({shown}), which the master would never delete"
    return None


def master_using(path: str | os.PathLike) -> int | None:
    """The pid of the live master (or its workers) holding `path`'s lock, else None (0: pid unknown)."""
    try:
        descriptor = os.open(Path(path) / MARKER, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else 0
    finally:
        os.close(descriptor)  # releases a lock taken here, never the holder's (flock belongs to the open file)
    return None


def check(configured: str | None) -> None:
    """Raise FolderRefused when `configured` holds other files, is the root, or a live master uses it."""
    if not configured or configured == os.environ.get(MADE_VARIABLE) or (
            _prepared is not None and Path(configured) == _prepared.path):
        return
    problem = folder_problem(configured)
    if problem is None and (holder := master_using(configured)) is not None:
        problem = f"is in use by another running master (pid {holder})"
    if problem is not None:
        raise FolderRefused(_refusal(problem, configured))


def prepare(configured: str | None) -> str:
    """In the master, before it forks: the folder, locked and exported; cleaned up when the master exits.

    Raises FolderRefused for a folder that holds other files, is the root, or a live master uses.
    """
    global _prepared
    if _prepared is not None:  # gunicorn reloading its configuration: the same master keeps its counts
        if configured and Path(configured) != _prepared.path:
            print(f"Metrics: the workers keep sharing {_prepared.path}; {configured} applies when the master "
                  "restarts", file=sys.stderr, flush=True)
        return str(_prepared.path)
    if configured and configured == os.environ.get(MADE_VARIABLE):
        configured = None  # the folder of the master this one replaces, not the operator's choice
    if configured:
        folder = Path(configured)
        check(configured)
        folder.mkdir(parents=True, exist_ok=True)
        lock = _claim(folder)
        if lock is None:  # another master claimed it since the check
            raise FolderRefused(_refusal("is in use by another running master", configured))
        _remove_metrics_files(folder)
        os.environ.pop(MADE_VARIABLE, None)
    else:
        remove_abandoned_folders()
        folder = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX))
        lock = _claim(folder)
        os.environ[MADE_VARIABLE] = str(folder)
    os.environ[FOLDER_VARIABLE] = str(folder)
    _prepared = _Prepared(folder, not configured, lock)
    atexit.register(_clean_up, _prepared, os.getpid())
    # Before gunicorn's logging is set up: a plain line on stderr, where gunicorn writes its own.
    print(f"Metrics: the workers share their values in {folder}", file=sys.stderr, flush=True)
    return str(folder)


@contextlib.contextmanager
def reading(path: str | os.PathLike):
    """Hold `path`'s readers' lock (shared) while reading its files, so that no merge is seen halfway."""
    descriptor = os.open(Path(path) / READERS_LOCK, os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        yield
    finally:
        os.close(descriptor)


def remove_abandoned_folders(parent: str | None = None) -> list[Path]:
    """Remove the temporary folders of masters that are gone (killed outright, or without hooks); those removed."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{TEMPORARY_PREFIX}*"):
        with contextlib.suppress(OSError):  # another user's folder, or one removed meanwhile
            if folder.stat().st_uid == os.getuid() and _abandoned(folder) and _empty(folder, remove=True):
                removed.append(folder)
    return removed


def master_folder(master: int, parent: str | None = None) -> Path | None:
    """The folder the workers of `master`, a master without hooks, share (None: the master is gone)."""
    started = process_info.start_time(master)
    if started is None:
        return None
    return Path(parent or tempfile.gettempdir()) / f"{TEMPORARY_PREFIX}gunicorn-{master}-{started}"


def make_private(folder: Path) -> str | None:
    """Make `folder` for this user alone, or accept it as made so; why it cannot be used, else None.

    Its name is known in advance, so a folder someone else made there, or a link, is refused.
    """
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    found = folder.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        return f"{folder} is not a folder of this user alone"
    return folder_problem(folder)


def _abandoned(folder: Path) -> bool:
    named = _MASTER_FOLDER.fullmatch(folder.name)
    if named:
        return process_info.start_time(int(named.group(1))) != named.group(2)
    # An empty marker is being claimed: its master writes its pid once it holds the lock.
    return (folder / MARKER).stat().st_size > 0 and master_using(folder) is None


def _refusal(problem: str, configured: str) -> str:
    return (f"METRICS_MULTIPROC_DIR {problem}: {configured}. Give a folder for this server alone, or leave it "
            "unset for a fresh one per master.")


def _claim(folder: Path) -> int | None:
    """Lock `folder`'s marker for this process and its children, writing this pid; None when another holds it."""
    descriptor = os.open(folder / MARKER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def _remove_metrics_files(folder: Path) -> None:
    for entry in folder.iterdir():
        if is_metrics_file(entry.name):
            entry.unlink(missing_ok=True)


def _empty(folder: Path, remove: bool) -> bool:
    """Delete the metrics files and the marker (then the folder itself if `remove`); whether it is all gone."""
    _remove_metrics_files(folder)
    for lock in _LOCKS:
        (folder / lock).unlink(missing_ok=True)
    if remove:
        try:
            folder.rmdir()  # only when empty: anything else put there stays
        except OSError:
            return False
    return True


def _clean_up(prepared: _Prepared, master: int) -> None:
    if os.getpid() != master:  # a worker exiting runs the master's exit handlers too
        return
    _empty(prepared.path, remove=prepared.made_here)
    os.close(prepared.lock)
