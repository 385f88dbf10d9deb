"""Chunked request bodies (``Transfer-Encoding: chunked``), which Django would read as empty.

Django sizes a request body by ``CONTENT_LENGTH`` alone, and a chunked request has none. A server
that decodes the chunks itself says so with ``wsgi.input_terminated`` (gunicorn does): the body is
then read here, in a ``request_started`` receiver rather than a middleware because Django sizes the
body's stream when it builds the request, before any middleware, up to one byte more than
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the parser refuses what is over), and given a length. Under a
server that leaves the chunks to the application the body cannot be read safely: reading it answers
411 Length Required instead of an empty body. ASGI servers hand Django whole bodies.
"""

from __future__ import annotations

import io

from django.conf import settings

from chimera.api.exceptions import ServiceError

# An unlimited DATA_UPLOAD_MAX_MEMORY_SIZE still gets a bound for what is held in memory here.
UNLIMITED_READ = 64 * 1024 * 1024


def read_chunked_body(sender, environ=None, **kwargs) -> None:
    """``request_started`` receiver: give a chunked WSGI request its body and a length."""
    if environ is None or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    if environ.get("CONTENT_LENGTH"):
        return
    if not environ.get("wsgi.input_terminated"):
        environ["CONTENT_LENGTH"] = "1"  # so that reading happens, and fails clearly
        environ["wsgi.input"] = LengthRequired()
        return
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = environ["wsgi.input"].read((UNLIMITED_READ if limit is None else limit) + 1)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)


class LengthRequired(io.RawIOBase):
    """The input of a chunked request the server did not decode: reading it is a 411."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise ServiceError("length_required", "A chunked request body cannot be read here: send Content-Length.")
