"""Red-team figures: hostile cases against real gunicorn servers of this project, measured and printed.

    python -m tests.redteam                 # every case at the scale docs/deployment.md records
    python -m tests.redteam --quick         # the smallest scale (tests/e2e/test_redteam.py runs it)
    python -m tests.redteam slow-clients    # one case (slow-clients, dead-worker-files, frozen-broker)
    python -m tests.redteam slow-clients --gunicorn="--worker-connections 64"   # against other settings

Nothing is asserted: each case prints what it measured, for a person (and the deployment page)
to judge. Every server, socket and Redis is on 127.0.0.1 and stopped at the end of its case; every
wait has a deadline and every attack a count, so a run cannot hang or grow.

- slow-clients: trickling sockets straight at gunicorn as bin/serve runs it (fewer than workers x
  threads), then /health probed: failures, latency, and how the sockets spread over the workers;
  then the same burst while one worker is paused (SIGSTOP: busy, or slow to wake), which is when
  the other accepts them all.
- dead-worker-files: workers that end every few requests (``--max-requests``): the files left in
  the metrics folder and the time a scrape of /metrics takes.
- frozen-broker: a Redis broker of its own stopped with SIGSTOP (accepting connections, answering
  nothing): how long async generate requests take to be refused, and whether /health answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.hostile import SlowClients
from tests.support.processes import Gunicorn, project_env, run_manage, sockets_held, timed_get, worker_pids

API_KEY = "redteam-key-0123456789abcdef"
READY_SECONDS = 60.0


@dataclass(frozen=True)
class Scale:
    """How hard and how long each case pushes."""

    sockets: int = 100  # trickling connections straight at gunicorn (2 workers x 64 threads: 128)
    probes: int = 20  # /health probes during an attack
    attack_seconds: float = 30  # how long the slow clients are held
    requests: int = 200  # requests to a server whose workers end every `max_requests`
    max_requests: int = 5
    scrapes: int = 5  # timed scrapes of /metrics
    publishes: int = 4  # async generate requests while the broker is frozen
    answer_seconds: float = 30  # the longest wait for one answer


FULL = Scale()
QUICK = Scale(sockets=8, probes=3, attack_seconds=3, requests=12, max_requests=3, scrapes=1, publishes=1,
              answer_seconds=5)


class Lab:
    """A scratch folder with a migrated SQLite database, and the project's gunicorn servers on it."""

    def __init__(self, folder: Path, gunicorn_args: tuple[str, ...] = ()):
        self.folder = folder
        self.gunicorn_args = gunicorn_args  # given to every server, after the case's own
        self.database_url = f"sqlite:///{folder / 'db.sqlite3'}"
        migrated = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=self.database_url), timeout=120)
        if migrated.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrated.stdout}{migrated.stderr}")

    def server(self, name: str, args: tuple[str, ...] = (), **env: str) -> Gunicorn:
        """A started gunicorn with the project's configuration file; a short graceful timeout ends it fast.

        Ready once /health answers, however long its first answer takes: on a loaded machine that is
        longer than the helper's one-second polls, which a server ending its workers every few
        requests would spend its requests on.
        """
        environ = project_env(DATABASE_URL=self.database_url, CHIMERA_API_KEYS=API_KEY,
                              GUNICORN_GRACEFUL_TIMEOUT="3", **env)
        server = Gunicorn(env=environ, log_dir=self.folder / name,
                          args=[*args, *self.gunicorn_args]).start(wait_path=None)
        deadline = time.monotonic() + READY_SECONDS
        while timed_get(server.url + "/health", timeout=READY_SECONDS)[0] != 200:
            if server.process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"gunicorn did not start:\n{server.output()}")
            time.sleep(0.2)
        return server


def summary(answers: list[tuple[int | str, float]]) -> str:
    """`failed/total` (failed: not a 200, within the probe's own timeout), then the answers' latency in milliseconds."""
    failed = [status for status, _ in answers if status != 200]
    took = sorted(seconds * 1000 for _, seconds in answers)
    return (f"{len(failed)}/{len(answers)} failed {sorted(set(map(str, failed)))}, latency ms p50 "
            f"{statistics.median(took):.0f} max {took[-1]:.0f}")


def slow_clients(lab: Lab, scale: Scale) -> dict[str, object]:
    """Trickling sockets straight at gunicorn's defaults, /health probed meanwhile; then a burst of them
    while one worker is paused (busy, or slow to wake), which the other accepts alone."""
    server = lab.server("slow-clients")
    try:
        warm_up(server)
        with SlowClients(server.port, scale.sockets, trickling=scale.sockets) as attack:
            settle = min(3.0, scale.attack_seconds / 3)
            time.sleep(settle)  # every hostile connection is open before the first probe
            spread = [sockets_held(pid) - 1 for pid in worker_pids(server.process.pid)]  # less the listener
            answers, started = [], time.monotonic()
            for number in range(scale.probes):
                answers.append(timed_get(server.url + "/health", timeout=1))
                time.sleep(max(0.0, started + (number + 1) * (scale.attack_seconds - settle) / scale.probes
                               - time.monotonic()))
            opened = attack.connections
        time.sleep(2)  # the workers close what the attack left
        paused_spread, paused_answers = burst_while_paused(server, scale)
    finally:
        server.stop(timeout=15)
    return {"trickling sockets": scale.sockets, "opened (reconnections included)": opened,
            "sockets per worker": spread, "/health (failed: not 200 within 1 s)": summary(answers),
            "burst while one worker is paused, sockets per worker": paused_spread,
            "burst while one worker is paused, /health": summary(paused_answers)}


def warm_up(server: Gunicorn) -> None:
    """Concurrent requests, so that each worker has answered once: a first answer is slow under load."""
    threads = [threading.Thread(target=timed_get, args=(server.url + "/health", READY_SECONDS)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def burst_while_paused(server: Gunicorn, scale: Scale) -> tuple[list[int], list[tuple[int | str, float]]]:
    """`scale.sockets` trickling connections opened while the first worker is stopped; /health after it resumes."""
    workers = worker_pids(server.process.pid)
    os.kill(workers[0], signal.SIGSTOP)
    try:
        attack = SlowClients(server.port, scale.sockets, trickling=scale.sockets).start()
        time.sleep(2)
    finally:
        os.kill(workers[0], signal.SIGCONT)
    try:
        time.sleep(1)
        spread = [sockets_held(pid) - 1 for pid in workers]
        answers = []
        for _ in range(scale.probes):
            answers.append(timed_get(server.url + "/health", timeout=1))
            time.sleep(0.5)
    finally:
        attack.stop()
    return spread, answers


def dead_worker_files(lab: Lab, scale: Scale) -> dict[str, object]:
    """Workers ending every `max_requests` requests: what the metrics folder keeps, and what a scrape costs."""
    folder = lab.folder / "metrics"
    folder.mkdir()
    server = lab.server("dead-worker-files", ("--max-requests", str(scale.max_requests)),
                        METRICS_MULTIPROC_DIR=str(folder))
    try:
        for _ in range(scale.requests):
            timed_get(server.url + "/api/v1/health/dashboard", timeout=scale.answer_seconds)
        time.sleep(1)  # the last replaced worker is reaped and booted
        scrapes = [timed_get(server.url + "/metrics", scale.answer_seconds, {"X-API-Key": API_KEY})
                   for _ in range(scale.scrapes)]
        files = {path.name: path.stat().st_size for path in folder.rglob("*") if path.is_file()}
        booted = server.stderr().count("Booting worker")
    finally:
        server.stop(timeout=15)
    return {"requests": scale.requests, "workers booted": booted, "files in the metrics folder": len(files),
            "bytes in the metrics folder": sum(files.values()),
            "/metrics scrapes (failed: not 200)": summary(scrapes)}


def frozen_broker(lab: Lab, scale: Scale) -> dict[str, object]:
    """A broker that accepts connections and never answers: async generate requests, and /health meanwhile."""
    if shutil.which("redis-server") is None:
        return {"skipped": "redis-server is not installed"}
    from tests.support.redis_server import RedisServer

    with RedisServer(lab.folder / "redis") as redis:
        server = lab.server("frozen-broker", CELERY_BROKER_URL=redis.url(0))
        try:
            healthy = publish(server, scale.answer_seconds)
            os.kill(redis.process.pid, signal.SIGSTOP)
            try:
                publishes: list[tuple[int | str, float]] = []
                threads = [threading.Thread(target=lambda: publishes.append(publish(server, scale.answer_seconds)))
                           for _ in range(scale.publishes)]
                for thread in threads:
                    thread.start()
                probes = []
                for _ in range(scale.probes):
                    probes.append(timed_get(server.url + "/health", timeout=1))
                    time.sleep(0.5)
                for thread in threads:
                    thread.join(scale.answer_seconds + 5)
            finally:
                os.kill(redis.process.pid, signal.SIGCONT)
        finally:
            server.stop(timeout=15)
    return {"async generate, broker up": f"{healthy[0]} in {healthy[1] * 1000:.0f} ms",
            "async generate, broker frozen (status, seconds)": sorted((str(status), round(took, 1))
                                                                     for status, took in publishes),
            "/health meanwhile (failed: not 200 within 1 s)": summary(probes)}


def publish(server: Gunicorn, timeout: float) -> tuple[int | str, float]:
    """One async generate request: its status (or the error when none came within `timeout`) and its seconds."""
    body = json.dumps({"prompt": "hello", "provider": "local", "async": True}).encode()
    request = urllib.request.Request(server.url + "/api/v1/generate", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": API_KEY})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        status = type(error).__name__
    return status, time.monotonic() - started


CASES = {"slow-clients": slow_clients, "dead-worker-files": dead_worker_files, "frozen-broker": frozen_broker}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.redteam", description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", metavar="case", help=f"{', '.join(CASES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="the smallest scale, to check the script itself")
    parser.add_argument("--gunicorn", default="", metavar="ARGS",
                        help='more gunicorn flags for every server, to compare settings: --gunicorn="--threads 32"')
    options = parser.parse_args(argv)
    unknown = set(options.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    scale = QUICK if options.quick else FULL
    with tempfile.TemporaryDirectory(prefix="chimera-redteam-") as folder:
        lab = Lab(Path(folder), tuple(shlex.split(options.gunicorn)))
        for name in options.cases or CASES:
            started = time.monotonic()
            figures = CASES[name](lab, scale)
            print(f"== {name} ({time.monotonic() - started:.0f} s)", flush=True)
            for figure, value in figures.items():
                print(f"   {figure}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
