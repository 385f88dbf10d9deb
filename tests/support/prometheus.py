"""A real Prometheus (Debian's package) for end-to-end tests, and the gunicorn processes it scrapes.

``PrometheusServer`` writes a configuration that scrapes one target every second with a bearer
key read from a credentials file and evaluates rule files every second, starts ``prometheus`` on
127.0.0.1 with a free port and a throw-away storage folder, and answers instant queries through the HTTP API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

from tests.support.processes import free_port, http_get
from tests.support.services import unavailable

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: {rule_files}
scrape_configs:
  - job_name: chimera
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {credentials}
    static_configs:
      - targets: ["{target}"]
"""


def prometheus_path() -> str:
    """Path of Debian's prometheus, or skip/fail when it is not installed."""
    path = shutil.which("prometheus")
    if path is None:
        unavailable("prometheus is not installed (bin/test installs it when run as root)")
    return path


class PrometheusServer:
    """Prometheus scraping `target` (host:port) with `key`, evaluating `rule_files` every second, until stop()."""

    def __init__(self, target: str, key: str, folder: Path, rule_files: list[Path] = ()) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        credentials = folder / "key"
        credentials.write_text(key)
        credentials.chmod(0o600)
        config = folder / "prometheus.yml"
        config.write_text(CONFIG.format(credentials=credentials, target=target,
                                        rule_files=json.dumps([str(path) for path in rule_files])))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [prometheus_path(), f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.log_path = folder / "prometheus.log"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_path.read_text(errors='replace')}")
            try:
                if http_get(self.url + "/-/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("prometheus did not get ready")

    def query(self, promql: str) -> list[dict]:
        """The result vector of an instant query."""
        status, _, body = http_get(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
        assert status == 200, body
        return json.loads(body)["data"]["result"]

    def value(self, promql: str) -> float | None:
        """The single value of an instant query, or None when it has no result yet."""
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def wait_for_value(self, promql: str, expected: float, timeout: float = 20) -> float | None:
        """The query's value once it equals `expected`, or the last one seen after `timeout`."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.value(promql)
            if value == expected:
                return value
            time.sleep(0.25)
        return value

    def targets(self) -> list[dict]:
        """The scrape targets with their health and last error."""
        return json.loads(http_get(self.url + "/api/v1/targets")[2])["data"]["activeTargets"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
        self._log.close()


def child_pids(parent: int) -> set[int]:
    """The processes whose parent is `parent` (gunicorn's workers of a master)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may hold spaces and parentheses: the fields after its last ")" are fixed.
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                children.add(int(entry.name))
    return children


def wait_for_workers(master: int, count: int, other_than: set[int], timeout: float = 30) -> set[int]:
    """`count` workers of `master`, none of them in `other_than` (the killed ones have been replaced)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = child_pids(master)
        if len(workers) == count and not workers & other_than:
            return workers
        time.sleep(0.1)
    raise TimeoutError(f"gunicorn {master} did not get {count} new workers")

