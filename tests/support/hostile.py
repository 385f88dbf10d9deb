"""Hostile clients for end-to-end tests: connections that hold a server's attention and give nothing.

``SlowClients(port, count)`` keeps `count` connections open until stopped: half (or `trickling`
of them) send a request head one byte every TRICKLE_SECONDS and never finish it, the others
connect and send nothing. A connection the server closes is opened again at once, as an attacker
would.
"""

from __future__ import annotations

import socket
import threading

TRICKLE_SECONDS = 2.0
HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4096


class SlowClients:
    """`count` hostile connections to 127.0.0.1:`port`, from `start()` until `stop()`."""

    def __init__(self, port: int, count: int = 50, trickling: int | None = None):
        self.port = port
        self.count = count
        self.connections = 0  # opened so far, reconnections included
        self._stop = threading.Event()
        self._lock = threading.Lock()
        trickling = count // 2 if trickling is None else trickling
        self._threads = [threading.Thread(target=self._run, args=(n < trickling,), daemon=True, name=f"slow-{n}")
                         for n in range(count)]

    def start(self) -> SlowClients:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, trickle: bool) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                self._stop.wait(0.2)
                continue
            with self._lock:
                self.connections += 1
            try:
                self._trickle(sock) if trickle else self._idle(sock)
            except OSError:
                pass  # the server closed it: open another
            finally:
                sock.close()

    def _idle(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        while not self._stop.is_set():
            try:
                if sock.recv(1024) == b"":
                    return
            except TimeoutError:
                continue

    def _trickle(self, sock: socket.socket) -> None:
        for byte in HEAD:
            sock.sendall(bytes([byte]))
            if self._stop.wait(TRICKLE_SECONDS):
                return

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
