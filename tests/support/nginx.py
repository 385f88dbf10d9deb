"""Debian's nginx running the shipped site configuration (deploy/nginx/chimera.conf) on free ports.

The site file is used as written, with two substitutions: its listen port and its upstream's
address become the test's. nginx runs in the foreground under a main configuration of its own in
a temporary folder (pid, logs, temporary files), and is stopped when the test ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.support.processes import ROOT, free_port
from tests.support.services import unavailable

SITE = ROOT / "deploy" / "nginx" / "chimera.conf"
MAIN = """
worker_processes 1;
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""


def nginx_path() -> str:
    """Debian's nginx, or skip/fail when it is not installed (bin/test installs it as root)."""
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if path is None:
        unavailable("nginx is not installed (bin/test installs it when run as root)")
    return path


class Nginx:
    """nginx in front of the gunicorn at `upstream_port` (and those at `more_upstream_ports`), on its own free port."""

    def __init__(self, upstream_port: int, folder: Path, more_upstream_ports: tuple[int, ...] = ()):
        self.folder = folder
        self.port = free_port()
        site = SITE.read_text()
        assert "listen 80;" in site and "server 127.0.0.1:8000;" in site, "the site file changed its defaults"
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        site = site.replace("server 127.0.0.1:8000;", " ".join(f"server 127.0.0.1:{port};"
                                                             for port in (upstream_port, *more_upstream_ports)))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(site)
        # As root, nginx's workers would switch to "nobody", who cannot write the test's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(MAIN.format(folder=folder, user=user))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> Nginx:
        command = [nginx_path(), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                   "-e", str(self.folder / "error.log"), "-g", "daemon off;"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}{self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"nginx did not listen within {timeout}s: {self.error_log()}")

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
