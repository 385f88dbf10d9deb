"""Stopping and reloading gunicorn without refusing or delaying a request (observability.lifecycle).

Every request is a new connection, as a new user's, so a closed listener shows as a failure.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error

import pytest

from tests.support.nginx import Nginx
from tests.support.processes import Gunicorn, http_get, project_env
from tests.support.receivers import OTLPHttpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DRAIN_SECONDS = 3.0


class Loop:
    """Clients sending GET `url` on new connections, one after another each, until stopped or `limit` sent."""

    def __init__(self, url: str, clients: int = 4, limit: int = 100_000):
        self.url, self.limit = url, limit
        self.answers: list[tuple[float, int | str, float]] = []  # (sent at, status or error, seconds taken)
        self.running = True
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def run(self) -> None:
        while self.running and len(self.answers) < self.limit:
            sent = time.monotonic()
            try:
                outcome: int | str = http_get(self.url, timeout=10)[0]
            except (OSError, urllib.error.URLError) as error:
                outcome = f"{type(error).__name__}: {error}"
            self.answers.append((sent, outcome, time.monotonic() - sent))

    def __enter__(self) -> Loop:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(15)

    def failures(self, since: float = 0.0, until: float = float("inf")) -> list:
        return [answer for answer in self.answers if since <= answer[0] < until and answer[1] != 200]


def server(tmp_path, name: str = "gunicorn", **variables: str) -> Gunicorn:
    env = project_env(**{"DJANGO_SETTINGS_MODULE": "tests.e2e.settings", "WEB_CONCURRENCY": "2",
                         "GUNICORN_THREADS": "8", "HEALTH_DRAIN_SECONDS": str(DRAIN_SECONDS), **variables})
    return Gunicorn(env=env, log_dir=tmp_path / name)


def readiness(gunicorn: Gunicorn) -> tuple[int, dict]:
    # A new worker's first readiness runs the checks (HEALTH_DEADLINE, 3 s) after reading the
    # maintenance switch (at most 1 s): room for both on a busy machine.
    status, _, body = http_get(gunicorn.url + "/health/ready", timeout=15)
    return status, json.loads(body)


def test_sigterm_drains_with_no_failure_then_stops_gracefully(tmp_path, migrated_db_url):
    gunicorn = server(tmp_path, DATABASE_URL=migrated_db_url).start()
    try:
        assert readiness(gunicorn) == (200, {"status": "up"})
        with Loop(gunicorn.url + "/health") as loop:
            time.sleep(0.5)
            signalled = time.monotonic()
            gunicorn.process.send_signal(signal.SIGTERM)
            while readiness(gunicorn)[0] != 503:
                assert time.monotonic() - signalled < 1, "readiness still 200 a second after SIGTERM"
                time.sleep(0.05)
            draining_after = time.monotonic() - signalled
            assert readiness(gunicorn) == (503, {"status": "draining"})
            assert http_get(gunicorn.url + "/health")[0] == 200
            time.sleep(DRAIN_SECONDS - 0.5 - draining_after)
        during = [answer for answer in loop.answers if signalled <= answer[0] < signalled + DRAIN_SECONDS - 0.5]
        assert len(during) > 20 and loop.failures(until=signalled + DRAIN_SECONDS - 0.5) == []
        status = gunicorn.wait(timeout=DRAIN_SECONDS + 20)
        stopped_after = time.monotonic() - signalled
    finally:
        gunicorn.stop()
    assert status == 0, gunicorn.output()
    assert DRAIN_SECONDS <= stopped_after < DRAIN_SECONDS + 10, gunicorn.output()
    assert "Draining for 3s before stopping" in gunicorn.stderr()


def test_after_the_drain_requests_in_flight_finish_and_spans_and_metrics_flush(tmp_path, migrated_db_url):
    receiver = OTLPHttpReceiver()
    # Batches and metric pushes that would leave only after the test: what arrives, the stop flushed.
    gunicorn = server(tmp_path, DATABASE_URL=migrated_db_url, TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http",
                      TRACING_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="60000",
                      METRICS_EXPORTER="otlp_http", METRICS_ENDPOINT=receiver.metrics_endpoint,
                      METRICS_EXPORT_INTERVAL_SECONDS="600").start()
    ids = [f"drained-{number}" for number in range(9)]
    answers: dict[str, tuple[int, float]] = {}

    def slow(request_id: str, seconds: float) -> None:
        status = http_get(f"{gunicorn.url}/slow?sleep={seconds}", headers={"X-Request-ID": request_id}, timeout=20)[0]
        answers[request_id] = (status, time.monotonic())

    try:
        signalled = time.monotonic()
        gunicorn.process.send_signal(signal.SIGTERM)
        for request_id in ids[:-1]:  # during the drain
            slow(request_id, 0.05)
        time.sleep(max(signalled + DRAIN_SECONDS - 1 - time.monotonic(), 0))
        last = threading.Thread(target=slow, args=(ids[-1], 2.5))  # still running when the drain ends
        last.start()
        status = gunicorn.wait(timeout=DRAIN_SECONDS + 20)
        last.join(5)
    finally:
        gunicorn.stop()
        receiver.stop()
    assert status == 0, gunicorn.output()
    assert {request_id: code for request_id, (code, _) in answers.items()} == dict.fromkeys(ids, 200), gunicorn.output()
    assert answers[ids[-1]][1] > signalled + DRAIN_SECONDS  # answered after the drain, by the graceful stop
    assert {span.attributes.get("request.id") for span in receiver.spans()} >= set(ids)
    assert sum(latest_per_worker(receiver, "/slow").values()) == len(ids), gunicorn.output()


def latest_per_worker(receiver: OTLPHttpReceiver, route: str) -> dict[str, float]:
    """Each worker's last cumulative count of requests to `route`."""
    counts: dict[str, float] = {}
    for point in receiver.points("http.server.request.duration"):
        if point.attributes.get("http.route") == route:
            instance = point.resource["service.instance.id"]
            counts[instance] = max(counts.get(instance, 0), point.value)
    return counts


def test_sigterm_to_a_worker_drains_it_and_the_master_replaces_it(tmp_path, migrated_db_url):
    with server(tmp_path, DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1") as gunicorn:
        worker = worker_pid(gunicorn)
        os.kill(worker, signal.SIGTERM)
        time.sleep(0.3)
        assert readiness(gunicorn) == (503, {"status": "draining"})
        deadline = time.monotonic() + DRAIN_SECONDS + 15
        while worker_pid(gunicorn) in (worker, None):
            assert time.monotonic() < deadline, gunicorn.output()
            time.sleep(0.1)
        assert readiness(gunicorn) == (200, {"status": "up"})


def worker_pid(gunicorn: Gunicorn) -> int | None:
    """The pid of the master's (only) worker, None while there is none."""
    pid = gunicorn.process.pid
    with open(f"/proc/{pid}/task/{pid}/children") as children_file:
        children = children_file.read().split()
    return int(children[0]) if len(children) == 1 else None


@pytest.mark.parametrize(("sig", "drain"), [(signal.SIGINT, "60"), (signal.SIGQUIT, "60"), (signal.SIGTERM, "0")],
                         ids=["SIGINT", "SIGQUIT", "SIGTERM-drain-0"])
def test_sigint_and_sigquit_stay_immediate_as_does_sigterm_with_no_drain(tmp_path, sig, drain):
    gunicorn = server(tmp_path, HEALTH_DRAIN_SECONDS=drain).start()
    assert gunicorn.stop(sig) < 20, gunicorn.output()
    assert "Draining" not in gunicorn.stderr()
    if sig == signal.SIGTERM:
        assert gunicorn.process.returncode == 0, gunicorn.output()


def test_a_reload_keeps_the_old_workers_serving_until_the_new_ones_have_loaded(tmp_path, migrated_db_url):
    boot = 4.0
    gunicorn = server(tmp_path, DATABASE_URL=migrated_db_url, DJANGO_SETTINGS_MODULE="tests.e2e.slow_boot_settings",
                      BOOT_SECONDS=str(boot)).start(timeout=60)
    try:
        with Loop(gunicorn.url + "/health") as loop:
            time.sleep(0.5)
            gunicorn.process.send_signal(signal.SIGHUP)
            # The master checks the configuration (one boot), then forks workers that boot; the old
            # ones leave once the new ones have loaded.
            deadline = time.monotonic() + 6 * boot
            while gunicorn.stderr().count("Worker exiting") < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
        assert gunicorn.stderr().count("Booting worker") == 4, gunicorn.output()
        assert gunicorn.stderr().count("Worker exiting") == 2, gunicorn.output()
        assert loop.failures() == []
        # Under gunicorn's own reload, requests waited for the boot (5.5 s here).
        assert max(taken for _, _, taken in loop.answers) < boot - 1
        assert readiness(gunicorn) == (200, {"status": "up"})
    finally:
        gunicorn.stop()


def test_a_rolling_restart_behind_nginx_loses_no_request(tmp_path, migrated_db_url):
    first = server(tmp_path, "first", DATABASE_URL=migrated_db_url).start()
    second = server(tmp_path, "second", DATABASE_URL=migrated_db_url).start()
    proxy = Nginx(first.port, tmp_path / "nginx", more_upstream_ports=(second.port,)).start()
    restarted = Gunicorn(env=first.env, log_dir=tmp_path / "restarted", port=first.port)
    try:
        with Loop(proxy.url + "/health", limit=100_000) as loop:
            time.sleep(0.5)
            first.process.send_signal(signal.SIGTERM)
            assert first.wait(timeout=DRAIN_SECONDS + 20) == 0, first.output()
            restarted.start()
            restarted_at = time.monotonic()
            # The loop goes on until the restarted instance serves part of it again (nginx may leave an
            # upstream that refused a connection alone for its fail_timeout, 10 s by default).
            while restarted.stdout().count("GET /health") < 20 and time.monotonic() - restarted_at < 30:
                time.sleep(0.2)
            time.sleep(0.5)
        back = [answer for answer in loop.answers if answer[0] >= restarted_at]
        # Bounded, yet still sending once the restarted instance serves: a bound of 3000 requests ended the loop
        # 3 s before the restart began, so that half of the rolling restart went untested.
        assert len(loop.answers) < loop.limit and len(back) > 50, (len(loop.answers), len(back))
        assert restarted.stdout().count("GET /health") >= 20, restarted.output()
        assert loop.failures() == [], proxy.error_log()
    finally:
        proxy.stop()
        first.stop()
        second.stop()
        restarted.stop()


@pytest.mark.parametrize("value", ["601", "-1", "soon"])
def test_a_drain_out_of_range_refuses_start_up_naming_it(tmp_path, value):
    stderr = server(tmp_path, HEALTH_DRAIN_SECONDS=value).refused()
    assert "Configuration error" in stderr and "healthdash.E020 HEALTH_DRAIN_SECONDS" in stderr, stderr


def scraped(gunicorn: Gunicorn, name: str) -> float | None:
    _, _, body = http_get(gunicorn.url + "/metrics", timeout=15)
    return next((float(line.split()[1]) for line in body.decode().splitlines() if line.split(" ")[0] == name), None)


def test_metrics_show_draining_while_it_lasts_and_not_after_the_worker_is_replaced(tmp_path, migrated_db_url):
    with server(tmp_path, DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", METRICS_ANONYMOUS="true") as gunicorn:
        assert (scraped(gunicorn, "server_draining"), scraped(gunicorn, "health_maintenance")) == (0, 0)
        worker = worker_pid(gunicorn)
        os.kill(worker, signal.SIGTERM)
        time.sleep(0.3)
        assert scraped(gunicorn, "server_draining") == 1
        deadline = time.monotonic() + DRAIN_SECONDS + 15
        while worker_pid(gunicorn) in (worker, None):
            assert time.monotonic() < deadline, gunicorn.output()
            time.sleep(0.1)
        assert scraped(gunicorn, "server_draining") == 0, gunicorn.output()
