"""The metrics folder under real gunicorn: users' files are never deleted, counts survive a reload.

A folder holding anything but metrics files, the root, or one another live master uses is
refused with one line naming METRICS_MULTIPROC_DIR, and ``--check-config`` deletes nothing.
SIGHUP keeps every count; a master killed outright leaves a folder the next master removes, and
the folder of a master without hooks is removed by the next process that finds that master gone;
a metrics file still being made is skipped by ``/metrics`` and the dashboard.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from observability.metrics.folder import MARKER, master_folder, master_using
from observability.process_info import exists
from tests.e2e.test_metrics_prometheus import KEY, metrics_env, plain_gunicorn, route_count, scrape, send, shared_folder
from tests.support.processes import Gunicorn, http_get, project_env, run_manage
from tests.support.prometheus import child_pids, wait_for_workers

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def check_config(folder: Path, log_dir: Path) -> tuple[int, str]:
    """gunicorn --check-config with `folder` as METRICS_MULTIPROC_DIR: its exit status and stderr."""
    server = Gunicorn(env=metrics_env(METRICS_MULTIPROC_DIR=str(folder)), log_dir=log_dir, args=["--check-config"])
    server.start(wait_path=None)
    try:
        return server.wait(timeout=60), server.stderr()
    finally:
        server.stop()


def test_a_folder_holding_a_database_is_refused_and_kept_even_by_check_config(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    database = folder / "app.db"
    assert run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=f"sqlite:///{database}")).returncode == 0
    before = database.read_bytes()

    status, stderr = check_config(folder, tmp_path / "check")
    assert status != 0
    # The configuration's own check (observability.E056) names it, before the master's.
    assert "Configuration error:" in stderr
    assert "METRICS_MULTIPROC_DIR holds files other than metrics files (app.db)" in stderr
    stderr = Gunicorn(env=metrics_env(METRICS_MULTIPROC_DIR=str(folder)), log_dir=tmp_path / "start").refused()
    assert stderr.count("METRICS_MULTIPROC_DIR") == 1 and "Booting worker" not in stderr
    assert sorted(os.listdir(folder)) == ["app.db"] and database.read_bytes() == before


def test_check_config_deletes_not_even_an_earlier_runs_metrics(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"\0" * 8)
    status, stderr = check_config(folder, tmp_path / "check")
    assert status == 0, stderr
    assert sorted(os.listdir(folder)) == ["counter_999999.db"]


def test_the_root_folder_is_refused(tmp_path):
    stderr = Gunicorn(env=metrics_env(METRICS_MULTIPROC_DIR="/"), log_dir=tmp_path).refused()
    assert "METRICS_MULTIPROC_DIR " in stderr and "Booting worker" not in stderr


def test_a_second_master_refuses_the_folder_a_live_one_uses(tmp_path):
    folder = tmp_path / "metrics"
    with Gunicorn(env=metrics_env(METRICS_MULTIPROC_DIR=str(folder)), log_dir=tmp_path / "first") as first:
        send(first, 5)
        stderr = Gunicorn(env=metrics_env(METRICS_MULTIPROC_DIR=str(folder)), log_dir=tmp_path / "second").refused()
        assert (f"Configuration error: METRICS_MULTIPROC_DIR is in use by another running master "
                f"(pid {first.process.pid}): {folder}") in stderr
        assert route_count(scrape(first)[1]) == 5  # the first master's files are untouched


@pytest.mark.parametrize("configured", [False, True], ids=["fresh-folder", "configured-folder"])
def test_a_reload_keeps_every_count(tmp_path, configured):
    env = metrics_env(**({"METRICS_MULTIPROC_DIR": str(tmp_path / "metrics")} if configured else {}))
    with Gunicorn(env=env, log_dir=tmp_path / "server") as server:
        folder = shared_folder(server)
        send(server, 40)
        assert route_count(scrape(server)[1]) == 40
        master = server.process.pid
        workers = child_pids(master)
        os.kill(master, signal.SIGHUP)
        wait_for_workers(master, 2, workers)
        server.wait_until_ready("/health", 15)
        for _ in range(12):  # whichever worker answers, old or new
            assert route_count(scrape(server)[1]) == 40
        send(server, 10)
        assert route_count(scrape(server)[1]) == 50
        assert shared_folder(server) == folder and server.stderr().count("Metrics: the workers share") == 1


def test_the_folder_of_a_killed_master_is_removed_by_the_next(tmp_path):
    with Gunicorn(env=metrics_env(), log_dir=tmp_path / "killed") as killed:
        abandoned = shared_folder(killed)
        send(killed, 3)
        killed.stop(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while master_using(abandoned) is not None and time.monotonic() < deadline:  # its workers notice and exit
        time.sleep(0.2)
    assert (abandoned / MARKER).exists() and any(abandoned.glob("histogram_*.db"))
    with Gunicorn(env=metrics_env(), log_dir=tmp_path / "next") as server:
        assert not abandoned.exists()
        assert shared_folder(server).exists()


def test_the_folder_of_a_killed_master_without_hooks_is_removed_by_the_next_server(tmp_path):
    with plain_gunicorn(tmp_path / "killed") as killed:
        abandoned = master_folder(killed.process.pid)
        send(killed, 3)
        workers = child_pids(killed.process.pid)
        killed.stop(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(exists(pid) for pid in workers) and time.monotonic() < deadline:  # they notice and exit
        time.sleep(0.2)
    assert any(abandoned.glob("histogram_*.db"))
    with plain_gunicorn(tmp_path / "next") as server:
        assert not abandoned.exists()
        assert route_count(scrape(server)[1]) == 0


def test_a_metrics_file_being_made_is_skipped(tmp_path, migrated_db_url):
    env = project_env(DATABASE_URL=migrated_db_url, CHIMERA_API_KEYS=KEY, WEB_CONCURRENCY="2")
    with Gunicorn(env=env, log_dir=tmp_path) as server:
        send(server, 3, path="/health/ready")
        (shared_folder(server) / "counter_999999.db").touch()  # created, not yet sized, by a new worker
        (shared_folder(server) / "histogram_999998.db").write_bytes(b"\0" * 4)
        for _ in range(6):
            assert scrape(server)[0] == 200
            status, _, body = http_get(server.url + "/api/v1/health/dashboard", headers={"X-API-Key": KEY})
            assert status == 200 and json.loads(body)["traffic"] is not None


def test_recycled_workers_leave_archives_not_files(tmp_path):
    # Preloaded, so that a recycled worker is forked ready and no request waits for its boot.
    with Gunicorn(env=metrics_env(), log_dir=tmp_path, args=["--max-requests", "5", "--preload"]) as server:
        folder = shared_folder(server)
        for _ in range(60):
            assert http_get(server.url + "/ok", headers={"Connection": "close"}, timeout=30)[0] == 200
        time.sleep(1)  # the last recycled workers end
        assert route_count(scrape(server)[1]) == 60
        assert (folder / "histogram_archive.db").exists()
        assert len(list(folder.glob("histogram_*.db"))) <= 4  # the live workers', the archive, one ending
