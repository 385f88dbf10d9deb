"""Dead processes' metrics files merged into one archive file per kind.

Each process writes files of its own, and a scrape reads every file in the folder: a server
whose workers are often replaced (``max_requests``) would read thousands. When a process ends,
its parent (gunicorn's master, in ``child_exit``) adds the counts of its counter, histogram and
summary files to ``<kind>_archive.db`` and deletes them, so the totals stay exact and a scrape
reads the live processes' files plus a few archives. Its ``live*`` gauges are dropped, as
before; its other gauges keep their files (``mostrecent`` needs their timestamps and pids).

The merge holds the readers' lock exclusively (``observability.metrics.folder.reading``): a
scrape sees the files before the merge or after it, never a count twice or not at all. When a
scrape holds the lock, the merge waits for the next process to end.

A master without hooks runs no ``child_exit``: there, each scrape first looks for the workers
whose files are in the folder and that ended (``forget_ended()``), and does the same for them.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections import defaultdict
from pathlib import Path

from observability import process_info
from observability.metrics.folder import FOLDER_VARIABLE, READERS_LOCK
from observability.metrics.prometheus import file_values, write_file

__all__ = ["compact", "forget_process"]

SUMMED_KINDS = ("counter", "histogram", "summary")
_ended: set[int] = set()  # processes whose files are still to merge
_workers: set[tuple[int, int]] = set()  # (master, pid) of processes seen working for that master
# The files a process that ended leaves to forget: summed kinds, and gauges counting live processes only.
_FORGOTTEN = re.compile(r"(?:counter|histogram|summary|gauge_live[a-z]+)_(\d+)\.db")


def forget_process(pid: int) -> None:
    """Process `pid` ended: drop what it counted as live (running requests) and archive its counts."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if not folder or not os.path.isdir(folder):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, folder)
    _ended.add(pid)
    _ended.difference_update(compact(folder, _ended))


def forget_ended(folder: str | os.PathLike, master: int) -> set[int]:
    """Forget the processes whose files are in `folder` and that no longer work for `master`; those forgotten.

    A pid that exists but whose parent is another process (given again since) counts as ended. Each
    pid's parent is read once, when its files first appear: later scrapes only ask whether it exists.
    """
    pids = {int(found.group(1)) for name in os.listdir(folder) if (found := _FORGOTTEN.fullmatch(name))}
    ended = {pid for pid in pids if not process_info.exists(pid)}
    for pid in pids - ended - {master}:
        if (master, pid) not in _workers:
            if process_info.parent_of(pid) in (master, None):
                _workers.add((master, pid))
            else:
                ended.add(pid)
    _workers.difference_update((master, pid) for pid in ended)
    if ended:
        from prometheus_client import multiprocess

        for pid in ended:
            multiprocess.mark_process_dead(pid, str(folder))
        compact(folder, ended)
    return ended


def compact(folder: str | os.PathLike, pids: set[int]) -> set[int]:
    """Merge the summed files of the ended processes `pids` into the archives; the pids done (none when busy)."""
    path = Path(folder)
    # A pid given to a new process since its predecessor ended writes its files again: not now.
    ended = {pid for pid in pids if not process_info.exists(pid)}
    descriptor = os.open(path / READERS_LOCK, os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return set()
        for kind in SUMMED_KINDS:
            files = [file for file in (path / f"{kind}_{pid}.db" for pid in ended) if file.exists()]
            if files:
                _archive(path / f"{kind}_archive.db", files)
        return ended
    finally:
        os.close(descriptor)


def _archive(archive: Path, files: list[Path]) -> None:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for file in [archive, *files] if archive.exists() else files:
        for key, value, _ in file_values(str(file)):
            totals[key][0] += value
    merged = archive.with_name(archive.name + ".new")  # not *.db: no reader lists it
    merged.unlink(missing_ok=True)
    write_file(str(merged), {key: (value, timestamp) for key, (value, timestamp) in totals.items()})
    os.replace(merged, archive)
    for file in files:
        file.unlink(missing_ok=True)

