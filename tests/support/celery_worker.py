"""A real Celery worker of this project (``celery -A chimera worker``) for end-to-end tests.

Started with a bounded wait for its "ready" line, stopped with SIGTERM (a warm shutdown) and
killed after a deadline, like ``tests.support.processes.Gunicorn``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import ROOT, stop_process
from tests.support.services import redis_database_url

# The Celery tests' own Redis database, so other test runs on the same server are not disturbed.
CELERY_TEST_DB = 11


def celery_redis_url(redis_url: str, db: int = CELERY_TEST_DB) -> str:
    """`redis_url` (TEST_REDIS_URL) pointed at database `db`, or the one this xdist worker uses instead."""
    return redis_database_url(redis_url, db)


def flush(url: str) -> None:
    """Empty the Redis database of `url`: queues, results and bindings of earlier runs."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class CeleryWorker:
    """``celery -A chimera worker`` (prefork pool), started by `start()` and stopped by `stop()`."""

    env: dict[str, str]
    log_dir: Path
    concurrency: int = 2
    name: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:8]}@%h")
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 60) -> CeleryWorker:
        """Start the worker and wait until it says it is ready."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_dir / "worker.log", "ab")  # noqa: SIM115 - closed in stop()
        self._offset = (self.log_dir / "worker.log").stat().st_size
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "chimera", "worker", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "--hostname", self.name, "--without-mingle",
             "--without-gossip"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while " ready." not in self.output():
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop(sig=signal.SIGKILL)
                raise TimeoutError(f"the worker was not ready within {timeout}s:\n{self.output()}")
            time.sleep(0.1)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send `sig`, wait for exit (killing the group after `timeout`); seconds it took."""
        started = time.monotonic()
        if self.running:
            stop_process(self.process, sig, timeout)
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()
        return time.monotonic() - started

    def pool_pids(self) -> list[int]:
        """Process IDs of the pool processes (the worker's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def output(self) -> str:
        """What this run of the worker has written so far."""
        with open(self.log_dir / "worker.log", "rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace")

    def wait_for(self, wanted: str, count: int = 1, timeout: float = 15) -> str:
        """The output once it holds `wanted` `count` times, or when `timeout` has passed."""
        deadline = time.monotonic() + timeout
        while self.output().count(wanted) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.output()

    def json_lines(self) -> list[dict]:
        """The JSON log lines written so far (LOG_FORMAT=json)."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines
