"""The gunicorn internals observability.compat.gunicorn relies on, pinned in the installed version."""

from __future__ import annotations

import signal

import pytest
from gunicorn.arbiter import Arbiter

from observability.compat.gunicorn import handle_master_sigterm


class Handled(Exception):
    pass


def test_the_master_loop_dispatches_sigterm_to_the_replaced_handler(monkeypatch):
    arbiter = Arbiter.__new__(Arbiter)  # no application: only the dispatch is exercised
    stops = []
    monkeypatch.setattr(Arbiter, "handle_term", lambda self: stops.append("gunicorn's stop"))

    def handler(stop):
        stop()
        raise Handled

    handle_master_sigterm(arbiter, handler)
    signame = Arbiter.SIG_NAMES[signal.SIGTERM]
    with pytest.raises(Handled):
        getattr(arbiter, f"handle_{signame}")()  # as Arbiter.run() looks the handler up
    assert stops == ["gunicorn's stop"]
    assert "handle_%s" in Arbiter.run.__code__.co_consts, "Arbiter.run() no longer looks up handle_<signal>"


def test_a_gthread_connection_shows_the_next_request_it_has_read_ahead():
    import socket

    from gunicorn.config import Config
    from gunicorn.workers.gthread import TConn

    from observability.compat.gunicorn import has_buffered_request, keeps_http1_connection

    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        conn = TConn(Config(), server_side, ("127.0.0.1", 50000), ("127.0.0.1", 8000))
        conn.init()
        assert keeps_http1_connection(conn)
        client_side.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        request = next(conn.parser)
        assert request.path == "/one" and not has_buffered_request(conn)
        client_side.sendall(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\n\r\n")
        assert next(conn.parser).path == "/two"
        assert has_buffered_request(conn)  # /three came with /two, and waits in the parser


def connection_with_request(head: bytes):
    """A gthread connection on one end of a socket pair, `head` sent from the other end, and its parsed request."""
    import socket

    from gunicorn.config import Config
    from gunicorn.workers.gthread import TConn

    server_side, client_side = socket.socketpair()
    conn = TConn(Config(), server_side, ("127.0.0.1", 50000), ("127.0.0.1", 8000))
    conn.init()
    client_side.sendall(head)
    return conn, client_side, next(conn.parser)


def test_the_rest_of_a_body_is_read_and_the_next_request_starts_where_it_should():
    from observability.compat.gunicorn import discard_request_body

    conn, client, request = connection_with_request(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
    with conn.sock, client:
        client.sendall(b"a" * 100 + b"b" * 199_900 + b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert request.body.read(100) == b"a" * 100  # what the application read
        assert discard_request_body(request, max_bytes=1_000_000, seconds=5)
        assert discard_request_body(request, max_bytes=0, seconds=0)  # nothing left: nothing to read
        assert next(conn.parser).path == "/next"


def test_a_body_over_the_bound_is_left_unread():
    from observability.compat.gunicorn import discard_request_body

    conn, client, request = connection_with_request(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n")
    with conn.sock, client:
        client.sendall(b"x" * 2000)
        assert not discard_request_body(request, max_bytes=1000, seconds=5)
        assert request.body.read(2000) == b"x" * 2000  # nothing was taken


def test_a_body_trickling_past_the_deadline_is_given_up_on_in_time():
    import threading
    import time

    from observability.compat.gunicorn import discard_request_body

    conn, client, request = connection_with_request(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    stop = threading.Event()

    def trickle():  # a byte every 20 ms: each recv() returns in time, the body never ends
        while not stop.wait(0.02):
            client.send(b"x")

    trickler = threading.Thread(target=trickle)
    with conn.sock, client:
        trickler.start()
        try:
            started = time.monotonic()
            assert not discard_request_body(request, max_bytes=1_000_000, seconds=0.5)
            took = time.monotonic() - started
        finally:
            stop.set()
            trickler.join()
    assert took < 0.5 * 4, took  # bounded by the deadline, not by a timeout per recv() (that would be minutes)
