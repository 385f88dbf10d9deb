"""gunicorn's internals: how its master dispatches the signals it takes, what a threaded worker's connection holds,
how a request's unread body is read.

Written against gunicorn 27.0 (the pinned release); ``tests/observability/compat/test_gunicorn.py``
pins it in the installed version.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

DISCARD_READ_BYTES = 64 * 1024


def handle_master_sigterm(server, handler: Callable[[Callable[[], None]], None]) -> None:
    """Have the master call ``handler(stop)`` on SIGTERM instead of ``stop()``, its graceful stop.

    gunicorn 27.0 has no hook for the signals its master takes: ``Arbiter.run()`` looks up
    ``handle_<name>`` on the arbiter for each signal it has queued, and ``handle_term`` raises
    StopIteration, which the loop turns into ``halt()``. So the arbiter's own attribute is
    replaced. If the lookup changes, SIGTERM stops at once as before, without a drain.
    """
    stop = server.handle_term
    server.handle_term = lambda: handler(stop)


def keeps_http1_connection(conn) -> bool:
    """Whether a gthread connection (gunicorn's ``TConn``) speaks HTTP/1, one request after another.

    gunicorn 27.0 marks an HTTP/2 connection with ``is_http2`` once it has negotiated it.
    """
    return not getattr(conn, "is_http2", False)


def has_buffered_request(conn) -> bool:
    """Whether a gthread connection has already read bytes of its next request (with the last one's body).

    gunicorn 27.0 keeps what it read ahead in the connection's parser's ``unreader.buf`` (a BytesIO).
    """
    return bool(conn.parser.unreader.buf.getvalue())


def discard_request_body(req, max_bytes: int, seconds: float) -> bool:
    """Read and drop what is left of an HTTP/1 request's body: at most `max_bytes`, within `seconds`.

    Whether the body is now read to its end. Nothing is read when what the request declared is
    left is over `max_bytes`, or when reading it failed before (its framing is then unknown).
    gunicorn 27.0 reads the body through ``req.body`` (a ``Body`` over a reader) from
    ``req.unreader.sock``; a ``LengthReader``'s ``length`` is what is left of the declared
    Content-Length (a chunked body declares nothing); ``Body.failed`` is set once a read raised.
    A read of the body loops over ``recv()`` until it has what it asked for, so a socket timeout
    alone would bound each ``recv()``, not the drain: the unreader reads through a socket whose
    every ``recv()`` gets what is left of `seconds`, for the drain only.
    """
    from gunicorn.http.errors import ParseException  # gunicorn is an optional dependency of the apps

    body, unreader = getattr(req, "body", None), getattr(req, "unreader", None)
    sock = getattr(unreader, "sock", None)
    if body is None or sock is None or getattr(body, "failed", False):
        return False
    left = getattr(body.reader, "length", None)
    if left == 0:  # read to its end by the application, as most are: no socket call on that path
        return True
    if left is not None and left > max_bytes:
        return False
    try:
        prior_timeout = sock.gettimeout()
    except OSError:  # closed already
        return False
    unreader.sock = _SocketWithDeadline(sock, time.monotonic() + seconds)
    drained = 0
    try:
        while drained <= max_bytes:
            data = body.read(DISCARD_READ_BYTES)
            if not data:
                return True
            drained += len(data)
        return False
    except (OSError, ParseException):  # the client left, stalled past the deadline, or framed the body wrongly
        return False
    finally:
        unreader.sock = sock
        with contextlib.suppress(OSError):
            sock.settimeout(prior_timeout)


class _SocketWithDeadline:
    """`sock` whose ``recv()`` waits no later than `deadline` (monotonic), then raises TimeoutError."""

    def __init__(self, sock, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request body's drain ran out of time")
        self.sock.settimeout(remaining)
        return self.sock.recv(size)
