"""A stand-in for a remote LLM provider: the OpenAI-compatible chat-completions protocol on 127.0.0.1.

The first path segment picks the behaviour, so one server serves every case of a module:
``url("ok")`` answers, ``url("slow")`` answers after SLOW_SECONDS (or the server's own
`slow_seconds`), ``url("error")`` answers 500,
``url("garbage")`` answers 200 with something that is not a chat completion, ``url("huge")``
answers more than a provider may, ``url("nested")`` answers JSON nested deeper than any parser
follows, and ``url("trickle")`` sends a chat completion one byte every TRICKLE_SECONDS, status
line and headers included, so no single read ever waits long. Every request is recorded with
its headers and body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["ChatCompletionsServer", "Received", "completion"]

SLOW_SECONDS = 3.0
HUGE_BYTES = 3 * 1024 * 1024
TRICKLE_SECONDS = 0.5
NESTING = 200_000


@dataclass(frozen=True)
class Received:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the second waits for the
    # client's delayed ACK (40 ms a call on Linux), as no real provider makes anyone wait.
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.server.owner.record(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        mode = self.path.strip("/").split("/", 1)[0]
        if mode == "slow" and self.server.owner.stopping.wait(self.server.owner.slow_seconds):
            return
        if mode == "error":
            return self._send(500, b'{"error": {"message": "upstream broke"}}')
        if mode == "garbage":
            return self._send(200, b"<html>not json</html>", "text/html")
        if mode == "huge":
            return self._send(200, b"x" * HUGE_BYTES)
        if mode == "nested":
            return self._send(200, b"[" * NESTING)
        if mode == "trickle":
            return self._trickle(json.dumps(completion(body)).encode())
        self._send(200, json.dumps(completion(body)).encode())

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _trickle(self, payload: bytes) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode()
        self.close_connection = True
        for byte in head + payload:
            if self.server.owner.stopping.wait(TRICKLE_SECONDS):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up, as it should
                return

    def log_message(self, format, *args) -> None:  # noqa: A002 - the signature is the base class's
        """Quiet: the tests look at what was recorded."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ChatCompletionsServer

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout test) is expected, not an error to print."""


def completion(body: dict | None) -> dict:
    """A chat completion that echoes the last message, as a provider would answer."""
    messages = (body or {}).get("messages") or [{}]
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "model": (body or {}).get("model", "unknown"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": f"echo: {messages[-1].get('content', '')}"}}],
    }


class ChatCompletionsServer:
    """The server, started with `start()` (or as a context manager) and stopped with `stop()`."""

    def __init__(self, slow_seconds: float = SLOW_SECONDS) -> None:
        self.slow_seconds = slow_seconds
        self.received: list[Received] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="chat-server", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, mode: str = "ok") -> str:
        """The base URL of a provider that behaves as `mode`."""
        return f"http://127.0.0.1:{self.port}/{mode}/v1"

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def last(self) -> Received:
        """The most recent request; fails the test when there is none."""
        with self._lock:
            assert self.received, "the provider received no request"
            return self.received[-1]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def start(self) -> ChatCompletionsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> ChatCompletionsServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
