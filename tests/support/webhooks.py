"""A webhook receiver on 127.0.0.1: records every POST, and answers 200, 500, or nothing (it hangs) as told."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Delivery", "WebhookReceiver"]


@dataclass(frozen=True)
class Delivery:
    """One POST as received."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    answered: int | None  # the status sent back; None: the receiver hung

    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    """`mode` is ``ok`` (200), ``error`` (500), ``reject`` (404) or ``hang`` (no answer until `stop()`).

    A context manager; its `url` carries a token in its path, as Slack's webhook URLs do.
    """

    def __init__(self, path: str = "/hooks/T0123/B4567/secret-webhook-token-8Xk2"):
        self.path = path
        self.mode = "ok"
        self.deliveries: list[Delivery] = []
        self._released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                mode = receiver.mode
                status = {"ok": 200, "error": 500, "reject": 404}.get(mode)
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.path, headers, body, status))
                if status is None:
                    receiver._released.wait(60)
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def received(self) -> list[dict]:
        """The bodies received, oldest first."""
        with self._lock:
            return [delivery.json() for delivery in self.deliveries]

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        """The bodies once `count` have come, or whatever came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received()

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
