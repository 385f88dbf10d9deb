"""The folder rules: which files are prometheus_client's, which folders are refused, whose lock is live,
and the folders of masters without hooks: named after the master, this user's alone, removed once it is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from observability.metrics.folder import (
    MARKER,
    TEMPORARY_PREFIX,
    folder_problem,
    is_metrics_file,
    make_private,
    master_folder,
    master_using,
    remove_abandoned_folders,
)

# prometheus_client writes one file per kind (and gauge mode) and process into the folder.
WRITE_EVERY_KIND = textwrap.dedent("""
    from prometheus_client import Counter, Gauge, Histogram, Summary
    Counter("c", "c").inc()
    Histogram("h", "h").observe(1)
    Summary("s", "s").observe(1)
    for mode in ("all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent",
                 "livemostrecent"):
        Gauge("g_" + mode, "g", multiprocess_mode=mode).set(1)
""")
# Holds the marker's lock, as a master and its workers do, until its stdin closes.
HOLD_LOCK = "import fcntl, os, sys; f = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(f, fcntl.LOCK_EX); " \
            "print('locked', flush=True); sys.stdin.read()"


def test_every_file_prometheus_client_writes_is_a_metrics_file_and_nothing_else_is(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", WRITE_EVERY_KIND], env=env, check=True, timeout=60)
    written = os.listdir(tmp_path)
    assert len(written) == 13
    assert all(is_metrics_file(name) for name in written), written
    for name in ("app.db", "counter_.db", "counter_12.db-journal", "gauge_other_12.db", "db.sqlite3", MARKER):
        assert not is_metrics_file(name)


def test_folders_that_are_not_a_servers_own_are_refused(tmp_path):
    assert folder_problem("/") == "is the root folder"
    assert folder_problem(tmp_path / "missing") is None
    assert folder_problem(tmp_path) is None
    (tmp_path / "counter_12.db").touch()
    (tmp_path / MARKER).touch()
    assert folder_problem(tmp_path) is None
    (tmp_path / "app.db").touch()
    assert "holds files other than metrics files (app.db)" in folder_problem(tmp_path)
    assert folder_problem(tmp_path / "app.db") == "is not a folder"


@pytest.fixture
def lock_holder():
    """Start a process holding the lock of a marker file, until the test ends."""
    processes = []

    def hold(marker):
        process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(marker)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout.readline() == "locked\n"
        return process
    yield hold
    for process in processes:
        process.communicate(timeout=10)


def test_a_folder_is_in_use_while_its_lock_is_held(tmp_path, lock_holder):
    assert master_using(tmp_path) is None
    (tmp_path / MARKER).write_text("4242\n")
    assert master_using(tmp_path) is None  # a marker nobody holds: its master is gone
    holder = lock_holder(tmp_path / MARKER)
    assert master_using(tmp_path) == 4242
    assert master_using(tmp_path) == 4242  # looking takes nothing from the holder
    holder.communicate(timeout=10)
    assert master_using(tmp_path) is None


def test_only_the_folders_of_gone_masters_are_removed(tmp_path, lock_holder):
    gone, live, unmarked, foreign = (tmp_path / f"{TEMPORARY_PREFIX}{name}" for name in ("a", "b", "c", "d"))
    for folder in (gone, live, unmarked, foreign):
        folder.mkdir()
        (folder / "counter_12.db").touch()
    for folder in (gone, live, foreign):
        (folder / MARKER).write_text("4242\n")
    (foreign / "notes.txt").write_text("kept")
    other = tmp_path / "not-ours"
    other.mkdir()
    (other / MARKER).write_text("4242\n")
    lock_holder(live / MARKER)

    assert remove_abandoned_folders(str(tmp_path)) == [gone]
    assert not gone.exists() and (live / "counter_12.db").exists() and (unmarked / "counter_12.db").exists()
    assert os.listdir(foreign) == ["notes.txt"] and other.exists()


def test_the_folder_of_a_master_without_hooks_is_named_after_its_pid_and_start(tmp_path):
    folder = master_folder(os.getpid(), str(tmp_path))
    assert folder.name.startswith(f"{TEMPORARY_PREFIX}gunicorn-{os.getpid()}-")
    assert master_folder(os.getpid(), str(tmp_path)) == folder
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True).stdout
    assert master_folder(int(ended), str(tmp_path)) is None  # gone: no folder to share


def test_a_master_folder_is_this_users_alone(tmp_path):
    folder = tmp_path / "shared"
    assert make_private(folder) is None
    assert (folder.stat().st_mode & 0o777, make_private(folder)) == (0o700, None)  # the next worker's turn
    opened = tmp_path / "opened"
    opened.mkdir(mode=0o755)
    opened.chmod(0o755)
    assert make_private(opened) == f"{opened} is not a folder of this user alone"
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert make_private(link) == f"{link} is not a folder of this user alone"
    (folder / "notes.txt").write_text("kept")
    assert "holds files other than metrics files (notes.txt)" in make_private(folder)


def test_the_folders_of_masters_without_hooks_are_removed_once_the_master_is_gone(tmp_path):
    ended = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                               text=True, check=True).stdout)
    live = master_folder(os.getpid(), str(tmp_path))
    gone = tmp_path / f"{TEMPORARY_PREFIX}gunicorn-{ended}-123"
    reused = tmp_path / f"{TEMPORARY_PREFIX}gunicorn-{os.getpid()}-1"  # this pid, an earlier start
    for folder in (live, gone, reused):
        assert make_private(folder) is None
        (folder / "counter_12.db").touch()
    assert sorted(remove_abandoned_folders(str(tmp_path))) == sorted([gone, reused])
    assert (live / "counter_12.db").exists() and not gone.exists() and not reused.exists()
