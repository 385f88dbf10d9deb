"""gunicorn's internals: how its master dispatches the signals it takes, what a threaded worker's connection holds.

Written against gunicorn 27.0 (the pinned release); ``tests/observability/compat/test_gunicorn.py``
pins it in the installed version.
"""

from __future__ import annotations

from collections.abc import Callable


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

