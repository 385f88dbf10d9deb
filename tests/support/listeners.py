"""A TCP listener that accepts connections and never answers: a hung backend, for timeout tests."""

from __future__ import annotations

import socket
import threading


class SilentListener:
    """Listens on 127.0.0.1 (a free port), accepts every connection, reads and writes nothing."""

    def __init__(self):
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-listener", daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:  # the accept timed out, or the socket closed
                continue
            self._accepted.append(connection)

    @property
    def accepted(self) -> int:
        """Connections accepted so far."""
        return len(self._accepted)

    def __enter__(self) -> SilentListener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in [*self._accepted, self._server]:
            connection.close()
