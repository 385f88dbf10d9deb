"""/metrics under gunicorn with 2 workers, scraped by a real Prometheus (Debian's package).

Counts are exact whichever worker answers, never go back when a worker is killed with SIGKILL,
and start from zero with each master; /metrics needs a key and shows no secret. The same holds
under plain ``gunicorn -w 2 chimera.wsgi``, with no configuration file and so none of the hooks;
uvicorn's workers, which cannot share, each say so.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from observability.metrics.folder import master_folder
from tests.support.processes import ROOT, Gunicorn, free_port, http_get, project_env
from tests.support.prometheus import PrometheusServer, child_pids, wait_for_workers

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "metrics-scrape-key-0123456789abcdef"
TRACING_SECRET = "e2e-exporter-token-8086"
ROUTE_COUNT = 'sum(http_server_request_duration_seconds_count{http_route="/ok"})'


def metrics_env(**overrides: str) -> dict[str, str]:
    return project_env(**{
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings", "WEB_CONCURRENCY": "2", "CHIMERA_API_KEYS": KEY,
        # A secret in the configuration that must never reach /metrics.
        "TRACING_HEADERS": f"authorization=Bearer%20{TRACING_SECRET}", **overrides,
    })


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Gunicorn(env=metrics_env(), log_dir=tmp_path_factory.mktemp("gunicorn-metrics")) as started:
        yield started


@pytest.fixture(scope="module")
def prometheus(server, tmp_path_factory):
    scraper = PrometheusServer(f"127.0.0.1:{server.port}", KEY, tmp_path_factory.mktemp("prometheus"))
    yield scraper
    scraper.stop()


def scrape(server: Gunicorn, **headers: str) -> tuple[int, str]:
    status, _, body = http_get(server.url + "/metrics", headers={"Authorization": f"Bearer {KEY}",
                                                                 "Connection": "close", **headers})
    return status, body.decode()


def route_count(text: str, route: str = "/ok") -> float:
    """The summed _count of `route` in an exposition."""
    pattern = re.compile(r'^http_server_request_duration_seconds_count\{([^}]*)\} (\S+)$', re.MULTILINE)
    return sum(float(value) for labels, value in pattern.findall(text) if f'http_route="{route}"' in labels)


def active_get(text: str) -> float:
    """http_server_active_requests of GET: 0 when no live worker has one."""
    found = re.search(r'^http_server_active_requests\{http_request_method="GET"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def shared_folder(server: Gunicorn) -> Path:
    """The folder the master said its workers share."""
    return Path(re.search(r"Metrics: the workers share their values in (\S+)", server.stderr()).group(1))


def plain_gunicorn(log_dir: Path, *args: str) -> Gunicorn:
    """``gunicorn -w 2 chimera.wsgi`` from a folder without gunicorn.conf.py: nothing of ours runs in the master."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return Gunicorn(env=metrics_env(PYTHONPATH=str(ROOT)), log_dir=log_dir, cwd=log_dir, config=None,
                    args=["-w", "2", *args, "chimera.wsgi:application"])


def slow_request(server: Gunicorn) -> None:
    """One request that runs until its worker is killed under it, counted as running meanwhile."""
    def run():
        with contextlib.suppress(OSError):
            http_get(server.url + "/concurrent?sleep=20", timeout=30)

    threading.Thread(target=run, daemon=True).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and active_get(scrape(server)[1]) != 1:
        time.sleep(0.1)
    assert active_get(scrape(server)[1]) == 1


def send(server: Gunicorn, count: int, path: str = "/ok") -> None:
    for _ in range(count):
        assert http_get(server.url + path, headers={"Connection": "close"})[0] == 200


def test_prometheus_sums_every_worker_and_a_killed_worker_takes_nothing_away(server, prometheus):
    before = prometheus.value(ROUTE_COUNT) or 0.0
    send(server, 40)
    assert prometheus.wait_for_value(ROUTE_COUNT, before + 40) == before + 40, prometheus.targets()
    # Every scrape shows the total, whichever worker answers it.
    assert {route_count(scrape(server)[1]) for _ in range(12)} == {before + 40}

    master = server.process.pid
    workers = child_pids(master)
    assert len(workers) == 2
    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for_workers(master, 2, {victim})
    server.wait_until_ready("/health", 15)
    assert route_count(scrape(server)[1]) == before + 40  # the dead worker's counts stay

    send(server, 30)
    assert prometheus.wait_for_value(ROUTE_COUNT, before + 70) == before + 70
    assert {route_count(scrape(server)[1]) for _ in range(12)} == {before + 70}
    assert prometheus.value('sum(http_server_active_requests{http_request_method="GET"})') == 0
    target = prometheus.targets()[0]
    assert target["health"] == "up", target


def test_workers_killed_mid_request_leave_the_live_gauge(server):
    slow_request(server)
    counted = route_count(scrape(server)[1])
    master = server.process.pid
    workers = child_pids(master)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_for_workers(master, 2, workers)
    server.wait_until_ready("/health", 15)
    text = scrape(server)[1]
    assert active_get(text) == 0
    assert route_count(text) == counted


def test_metrics_need_a_key_or_a_staff_session_and_show_no_secret(server):
    assert http_get(server.url + "/boom")[0] == 500
    assert scrape(server, Authorization="")[0] == 401
    status, headers, _ = http_get(server.url + "/metrics")
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert scrape(server, Authorization="Bearer wrong-key-0123456789")[0] == 401
    assert http_get(server.url + "/metrics", headers={"X-API-Key": KEY})[0] == 200
    status, text = scrape(server)
    assert status == 200
    assert 'http_route="/boom"' in text and 'http_response_status_code="500"' in text
    for secret in (KEY, TRACING_SECRET, "tests-only-secret-key"):
        assert secret not in text
    for name in ("health_service_status", "health_check_duration_seconds"):
        assert name not in text or re.search(rf"^{name}\{{", text, re.MULTILINE)


def test_a_new_master_starts_from_zero_and_cleans_its_folder(tmp_path):
    configured = tmp_path / "shared"
    configured.mkdir()
    (configured / "counter_999999.db").write_bytes(b"stale file of an earlier run")
    fresh_folders = []
    for run, env in enumerate((metrics_env(METRICS_MULTIPROC_DIR=str(configured)), metrics_env())):
        with Gunicorn(env=env, log_dir=tmp_path / f"run-{run}") as server:
            folder = shared_folder(server)
            assert route_count(scrape(server)[1]) == 0
            send(server, 3)
            assert route_count(scrape(server)[1]) == 3
            assert any(folder.glob("histogram_*.db"))
            fresh_folders.append(folder)
        assert server.process.returncode is not None
    assert fresh_folders[0] == configured and not (configured / "counter_999999.db").exists()
    assert list(configured.glob("*.db")) == []  # emptied when the master exited
    assert not fresh_folders[1].exists()  # a folder the master made is removed


@pytest.mark.parametrize(("variable", "value", "check_id"), [
    ("METRICS_EXPORTER", "statsd", "observability.E051"),
    ("METRICS_EXPORT_INTERVAL_SECONDS", "soon", "observability.E053"),
    ("METRICS_MULTIPROC_DIR", "relative/folder", "observability.E056"),
])
def test_an_invalid_metrics_value_stops_the_master_naming_the_variable(tmp_path, variable, value, check_id):
    stderr = Gunicorn(env=metrics_env(**{variable: value}), log_dir=tmp_path).refused()
    assert f"{check_id} {variable} " in stderr
    assert "Traceback" not in stderr and "Booting worker" not in stderr


@pytest.mark.parametrize("preload", [False, True], ids=["workers-find-the-master", "preloading-master"])
def test_plain_gunicorn_is_exact_without_hooks_and_forgets_its_ended_workers(tmp_path, preload):
    with plain_gunicorn(tmp_path, *(["--preload"] if preload else [])) as server:
        master = server.process.pid
        folder = master_folder(master)
        send(server, 20)
        assert {route_count(scrape(server)[1]) for _ in range(12)} == {20}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and any(folder.glob("histogram_*.db"))

        slow_request(server)
        workers = child_pids(master)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        wait_for_workers(master, 2, workers)
        server.wait_until_ready("/health", 15)
        text = scrape(server)[1]
        assert (active_get(text), route_count(text)) == (0, 20)
        send(server, 5)
        assert {route_count(scrape(server)[1]) for _ in range(8)} == {25}
        # The killed workers' counts are merged into the archives, their own files gone.
        assert (folder / "histogram_archive.db").exists()
        assert not [path for pid in workers for path in folder.glob(f"*_{pid}.db") if "gauge_" not in path.name]
        assert "Metrics: the workers share" not in server.stderr() and "observability.W060" not in server.output()


def test_uvicorn_workers_each_say_that_they_count_alone(tmp_path):
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "chimera.asgi:application", "--workers", "2", "--host", "127.0.0.1",
             "--port", str(free_port())], cwd=ROOT, env=metrics_env(), stdout=output, stderr=output,
            start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while log.read_text().count("observability.W060") < 2 and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    text = log.read_text()
    assert text.count("observability.W060") == 2, text
    assert "/metrics counts only the worker that answers: this process is one of 2 worker processes of uvicorn" in text
