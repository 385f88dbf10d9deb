"""Dead processes' files merged into archives: the same totals from far fewer files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from observability.metrics.compaction import compact, forget_ended
from observability.metrics.folder import READERS_LOCK, reading
from observability.metrics.prometheus import FolderCollector

# One process's values, as a worker records them: labelled counters, a histogram, a live gauge.
RECORD = textwrap.dedent("""
    import os, sys
    from prometheus_client import Counter, Gauge, Histogram
    n = int(sys.argv[1])
    requests = Counter("requests", "r", ["route"])
    duration = Histogram("duration_seconds", "d", ["route"], buckets=(0.1, 1.0))
    for i in range(n):
        requests.labels(f"/r{i % 3}").inc()
        duration.labels(f"/r{i % 3}").observe(i / 10)
    Gauge("health", "h", multiprocess_mode="mostrecent").set(n)
    print(os.getpid())
""")


def record(folder, count: int) -> int:
    """The pid of a process, now ended, that recorded `count` requests into `folder`."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", RECORD, str(count)], env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    return int(done.stdout)


def samples(folder) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in FolderCollector(None, str(folder)).collect() for s in family.samples}


def test_merged_files_give_the_same_totals(tmp_path):
    pids = {record(tmp_path, count) for count in (4, 7, 9)}
    before = samples(tmp_path)
    assert compact(tmp_path, pids) == pids
    assert samples(tmp_path) == pytest.approx(before)  # sums of floats, added in another order
    later = record(tmp_path, 5)  # merged again into the same archives
    before = samples(tmp_path)
    assert before[("requests_total", (("route", "/r0"),))] == 2 + 3 + 3 + 2
    assert compact(tmp_path, {later}) == {later}
    assert samples(tmp_path) == pytest.approx(before)  # sums of floats, added in another order
    assert sorted(name for name in os.listdir(tmp_path) if not name.startswith("gauge_")) == [
        "counter_archive.db", "histogram_archive.db", READERS_LOCK]


def test_nothing_is_merged_while_a_scrape_reads_or_a_process_runs(tmp_path):
    ended = record(tmp_path, 3)
    with reading(tmp_path):
        assert compact(tmp_path, {ended}) == set()
    assert compact(tmp_path, {os.getpid()}) == set()  # a pid in use again writes its files
    assert (tmp_path / f"counter_{ended}.db").exists()
    assert compact(tmp_path, {ended, os.getpid()}) == {ended}
    assert not (tmp_path / f"counter_{ended}.db").exists()


def test_a_file_still_being_made_is_skipped(tmp_path):
    record(tmp_path, 2)
    before = samples(tmp_path)
    (tmp_path / "counter_999999.db").touch()
    (tmp_path / "histogram_999998.db").write_bytes(b"\0" * 4)
    assert samples(tmp_path) == pytest.approx(before)  # sums of floats, added in another order
    assert compact(tmp_path, {999999, 999998}) == {999999, 999998}
    assert samples(tmp_path) == pytest.approx(before)  # sums of floats, added in another order


def test_a_scrape_forgets_the_workers_that_ended_without_child_exit(tmp_path):
    # Counts from workers that ended, with a running request each: nobody ran child_exit for them.
    script = RECORD.replace("print(", "Gauge('active', 'a', multiprocess_mode='livesum').set(1)\nprint(")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    ended = {int(subprocess.run([sys.executable, "-c", script, str(count)], env=env, capture_output=True, text=True,
                                check=True, timeout=60).stdout) for count in (3, 4)}
    running = subprocess.Popen([sys.executable, "-c", script + "sys.stdout.flush(); sys.stdin.read()", "2"],
                               env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(running.stdout.readline())
        before = samples(tmp_path)
        assert before[("active", ())] == 3
        assert forget_ended(tmp_path, master=os.getpid()) == ended
        after = samples(tmp_path)
        assert after.pop(("active", ())) == 1  # the running worker's request alone
        assert after == pytest.approx({key: value for key, value in before.items() if key != ("active", ())})
        assert {f"counter_{worker}.db", "counter_archive.db"} <= set(os.listdir(tmp_path))
        assert not [name for name in os.listdir(tmp_path) if any(f"_{pid}.db" in name for pid in ended)
                    and not name.startswith("gauge_mostrecent")]
        # A pid now running under another parent is no worker of this master any more.
        assert forget_ended(tmp_path, master=1) == {worker}
        assert ("active", ()) not in samples(tmp_path)
    finally:
        running.communicate(timeout=10)
