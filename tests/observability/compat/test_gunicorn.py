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
