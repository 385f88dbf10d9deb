"""An upload the service refuses (413, its Content-Length over the limit) gets its answer, not a reset.

gunicorn as bin/serve runs it (gunicorn.conf.py), one worker. The client sends its 3 MB body at
a steady pace, as a client on a real network does, and reads the answer once the body is sent.
The service answers 413 from the declared length without reading the body; a worker that then
closes the connection with the body still arriving makes the kernel reset it, and the client sees
the reset instead of its 413. That happened to every such upload, on a new connection or on a
kept-alive one while the worker stops (a reload, or a drain ending: the answer says
``Connection: close``). A client trickling its body cannot hold a stopping worker for that.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time

import pytest

from tests.support.processes import Gunicorn, project_env, worker_pids

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = "refused-uploads-0123456789"
UPLOAD_BYTES = 3_000_000  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), under the bound the worker reads
CHUNK_BYTES = 64 * 1024
CHUNK_PAUSE = 0.01  # the whole body in about half a second
# Within gunicorn's linger for kept-alive connections of a stopping worker (2 s).
AFTER_STOP_SECONDS = 0.3


def server(tmp_path, db_url: str, admission_ms: str = "5") -> Gunicorn:
    env = project_env(DATABASE_URL=db_url, CHIMERA_API_KEYS=API_KEY, WEB_CONCURRENCY="1", GUNICORN_THREADS="4",
                      GUNICORN_ADMISSION_MS=admission_ms)
    return Gunicorn(env=env, log_dir=tmp_path / "gunicorn")


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()


def get_health(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return read_response(sock)


def upload_head(length: int) -> bytes:
    return (f"POST /api/v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def upload(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Send a 3 MB body at a steady pace, then read the answer; what was sent when the connection broke."""
    sock.sendall(upload_head(UPLOAD_BYTES))
    sent = 0
    try:
        while sent < UPLOAD_BYTES:
            sent += sock.send(b"x" * min(CHUNK_BYTES, UPLOAD_BYTES - sent))
            time.sleep(CHUNK_PAUSE)
        return read_response(sock)
    except OSError as exc:
        pytest.fail(f"{type(exc).__name__} after {sent} of {UPLOAD_BYTES} bytes, instead of the 413")


def stop_the_worker(gunicorn: Gunicorn) -> int:
    (worker,) = worker_pids(gunicorn.process.pid)
    os.kill(worker, signal.SIGTERM)  # HEALTH_DRAIN_SECONDS=0: the worker stops at once
    time.sleep(AFTER_STOP_SECONDS)
    return worker


@pytest.mark.parametrize("admission_ms", ["5", "0"], ids=["admitting", "gthread-scheduling"])
def test_an_upload_refused_while_the_worker_stops_gets_its_413(tmp_path, migrated_db_url, admission_ms):
    with server(tmp_path, migrated_db_url, admission_ms) as gunicorn, \
            socket.create_connection(("127.0.0.1", gunicorn.port), timeout=10) as sock:
        status, headers, _ = get_health(sock)
        assert (status, headers["connection"]) == (200, "keep-alive")
        stop_the_worker(gunicorn)
        status, headers, body = upload(sock)
    assert (status, headers["connection"]) == (413, "close"), gunicorn.output()
    assert json.loads(body)["error"]["code"] == "request_too_large"


def test_an_upload_refused_on_a_new_connection_gets_its_413_and_the_connection_serves_on(tmp_path, migrated_db_url):
    with server(tmp_path, migrated_db_url) as gunicorn, \
            socket.create_connection(("127.0.0.1", gunicorn.port), timeout=10) as sock:
        status, headers, body = upload(sock)
        assert (status, headers["connection"]) == (413, "keep-alive")
        assert json.loads(body)["error"]["code"] == "request_too_large"
        # The whole body was read: the next request on the connection is read where it starts.
        assert get_health(sock)[0] == 200


def test_a_body_trickling_without_end_does_not_hold_a_stopping_worker(tmp_path, migrated_db_url):
    trickle_seconds = 20  # less than gunicorn's graceful timeout (30 s): only the bound can end it sooner
    with server(tmp_path, migrated_db_url) as gunicorn, \
            socket.create_connection(("127.0.0.1", gunicorn.port), timeout=10) as sock:
        get_health(sock)
        worker = stop_the_worker(gunicorn)
        sock.sendall(upload_head(UPLOAD_BYTES))
        started = time.monotonic()
        with pytest.raises(OSError):  # the worker gave up on the body and closed: the next bytes are reset
            while time.monotonic() - started < trickle_seconds:
                sock.sendall(b"x" * 100)
                time.sleep(0.05)
        closed_after = time.monotonic() - started
        deadline = time.monotonic() + trickle_seconds
        while worker in worker_pids(gunicorn.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        gone_after = time.monotonic() - started
    assert gone_after < trickle_seconds, gunicorn.output()
    print(f"refused upload: a trickling body cut off after {closed_after:.1f} s, the worker gone after "
          f"{gone_after:.1f} s")
