"""Real processes for end-to-end tests: the project's commands and a gunicorn server.

Everything binds to 127.0.0.1 on a free port, waits with a deadline, and is stopped (then
killed) when the test ends, so a broken server fails a test instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Gunicorn", "free_port", "http_get", "project_env", "run_manage", "side_by_side", "stop_process"]

ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET_KEY = "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# Variables of this project and of OpenTelemetry that must not leak from the developer's shell
# into a subprocess a test starts.
PROJECT_PREFIXES = (
    "TRACING_", "OTEL_", "REQUEST_ID_", "HEALTH", "CHIMERA_", "GUNICORN_", "LOG_", "METRICS_", "PROMETHEUS_",
    "CELERY_",
)
PROJECT_NAMES = (
    "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "CACHE_URL",
    "STATIC_ROOT", "WEB_CONCURRENCY", "DJANGO_SETTINGS_MODULE",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(**overrides: str | None) -> dict[str, str]:
    """The current environment without project variables, plus a test key and `overrides`.

    An override of None removes the variable. No ``.env`` file is read. Servers stop at once
    (HEALTH_DRAIN_SECONDS=0) unless a test of draining says otherwise.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in PROJECT_NAMES and not name.startswith(PROJECT_PREFIXES)
    }
    env.update(CHIMERA_ENV_FILE="", SECRET_KEY=TEST_SECRET_KEY, PYTHONUNBUFFERED="1", HEALTH_DRAIN_SECONDS="0")
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_manage(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``manage.py`` with `args` in a subprocess; output captured as text."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=env if env is not None else project_env(),
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def side_by_side(*calls: Callable[[], object]) -> list:
    """The results of independent `calls` (each runs a process and waits for it), run at once, in order.

    A command's start-up (Python, Django, the project) keeps one core busy while pytest waits: two
    or three together use the second core.
    """
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Send `sig` to a running process and wait for it to exit, killing its group after `timeout`."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, dict, bytes]:
    """GET `url`: status, headers (lower-cased names) and body, HTTP errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def timed_get(url: str, timeout: float = 1, headers: dict[str, str] | None = None) -> tuple[int | str, float]:
    """GET `url`: its status (or the error's name when none came within `timeout`) and the seconds it took."""
    started = time.monotonic()
    try:
        status = http_get(url, headers, timeout=timeout)[0]
    except OSError as exc:
        status = type(exc).__name__
    return status, time.monotonic() - started


def worker_pids(master: int) -> list[int]:
    """The master's children, read from /proc (its workers)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def sockets_held(pid: int) -> int:
    """How many sockets a process holds open (its connections, plus its listening socket)."""
    try:
        return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))
    except OSError:
        return 0


@dataclass
class Gunicorn:
    """A gunicorn server of this project, started by `start()` and stopped by `stop()`."""

    env: dict[str, str]
    log_dir: Path
    args: list[str] = field(default_factory=list)
    cwd: Path = ROOT
    # Another project's server: its virtualenv's interpreter and its own configuration file
    # (None: no --config, so gunicorn reads a gunicorn.conf.py in `cwd` if there is one).
    python: str = sys.executable
    config: Path | str | None = ROOT / "gunicorn.conf.py"
    port: int = field(default_factory=free_port)
    # False: no --bind flag, so the server listens where its configuration says (on `port`).
    bind_flag: bool = True
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_path: str | None = "/health", timeout: float = 30) -> Gunicorn:
        """Start the server and wait until `wait_path` answers (None: do not wait)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._stdout = open(self.log_dir / "stdout.log", "wb")  # noqa: SIM115 - closed in stop()
        self._stderr = open(self.log_dir / "stderr.log", "wb")  # noqa: SIM115 - closed in stop()
        command = [
            self.python, "-m", "gunicorn", *(["--config", str(self.config)] if self.config else []),
            *(["--bind", f"127.0.0.1:{self.port}"] if self.bind_flag else []), *self.args,
        ]
        self.process = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=self._stdout, stderr=self._stderr,
            start_new_session=True,
        )
        if wait_path is not None:
            self.wait_until_ready(wait_path, timeout)
        return self

    def wait_until_ready(self, path: str, timeout: float) -> None:
        """Poll `path` until it answers, failing early when the server exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                http_get(self.url + path, timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"gunicorn did not answer {path} within {timeout}s:\n{self.output()}")

    def refused(self, timeout: float = 30) -> str:
        """Start a server expected to refuse its configuration: its stderr, once it has exited non-zero."""
        self.start(wait_path=None)
        try:
            status = self.wait(timeout=timeout)
        finally:
            self.stop()
        assert status != 0, f"gunicorn started despite the configuration:\n{self.output()}"
        return self.stderr()

    def wait(self, timeout: float) -> int:
        """Wait for the server to exit by itself; its exit status."""
        return self.process.wait(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send `sig`, wait for exit (killing the group after `timeout`); seconds it took."""
        started = time.monotonic()
        if self.process is not None:
            stop_process(self.process, sig, timeout)
        for stream in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
            if stream is not None and not stream.closed:
                stream.close()
        return time.monotonic() - started

    def stdout(self) -> str:
        return (self.log_dir / "stdout.log").read_text(errors="replace")

    def wait_for_stdout(self, wanted: str, count: int = 1, timeout: float = 10) -> str:
        """stdout once it holds `wanted` `count` times, or when `timeout` has passed (log lines come late)."""
        deadline = time.monotonic() + timeout
        while self.stdout().count(wanted) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.stdout()

    def stderr(self) -> str:
        return (self.log_dir / "stderr.log").read_text(errors="replace")

    def output(self) -> str:
        """Both streams, for failure messages."""
        for stream in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
            if stream is not None and not stream.closed:
                stream.flush()
        return f"--- stdout ---\n{self.stdout()}\n--- stderr ---\n{self.stderr()}"

    def __enter__(self) -> Gunicorn:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info) -> None:
        self.stop()
