"""The API's JSON parser: DRF's, with a clear error for JSON nested too deeply."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """A 400 ``parse_error`` for ``[[[[...`` nested deeper than Python's JSON decoder follows.

    The decoder raises RecursionError there, which DRF does not catch: a 500 with a traceback.
    Bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never get here (DRF reads them through
    ``request.body``, which refuses them).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
