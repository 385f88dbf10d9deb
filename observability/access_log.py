"""gunicorn access logs that carry the request ID (and trace ID), as text or as JSON lines.

``gunicorn.conf.py`` selects ``AccessLogger`` (``LOG_FORMAT=text``: its format may use the
atoms ``%(request_id)s``, ``%(trace_id)s``, ``%(db_ms)s`` and ``%(db_queries)s``, the
request's database time and query count from ``observability.timing``) or ``JsonAccessLogger`` (``LOG_FORMAT=json``:
access and error lines are JSON objects, like Django's own log lines).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter

from observability.log_filters import RedactionFilter
from observability.redaction import mask_query, mask_target, safe_query_keys

MISSING = "-"
TIMINGS_KEY = "observability.timings"  # observability.timing.ENVIRON_KEY, without importing Django here


def request_id_header() -> str:
    """The configured request-ID header, lower-cased as gunicorn's atoms are."""
    from django.core.exceptions import ImproperlyConfigured

    from observability.request_id import get_request_id_config

    try:
        return get_request_id_config().header.lower()
    except ImproperlyConfigured:  # Django's settings are not loaded in this process
        return "x-request-id"


def trace_id_from(traceresponse: str | None) -> str:
    """The trace ID of a W3C ``traceresponse`` header (``00-<trace>-<span>-<flags>``)."""
    parts = (traceresponse or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else MISSING


class AccessLogger(Logger):
    """gunicorn's logger with ``request_id`` and ``trace_id`` atoms taken from the response.

    Its error and access lines go through ``RedactionFilter`` like the application's own; the
    atoms that hold the query string are masked first, since a bare query (``%(q)s``) in a line
    is text the filter cannot tell from any other.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            if not any(isinstance(f, RedactionFilter) for f in handler.filters):
                handler.addFilter(RedactionFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["request_id"] = atoms.get(f"{{{request_id_header()}}}o", MISSING)
        atoms["trace_id"] = trace_id_from(atoms.get("{traceresponse}o"))
        timings = environ.get(TIMINGS_KEY)
        atoms["db_ms"] = f"{timings.db * 1000:.2f}" if timings is not None else MISSING
        atoms["db_queries"] = timings.queries if timings is not None else MISSING
        if atoms.get("q"):
            safe = safe_query_keys()
            query, target = mask_query(atoms["q"], safe), mask_target(environ["RAW_URI"], safe)
            atoms.update({"q": query, "{query_string}e": query, "{raw_uri}e": target,
                          "r": f'{atoms["m"]} {target} {atoms["H"]}'})
        return atoms


class JsonAccessLogger(AccessLogger):
    """Access and error lines as JSON objects with the fields of the application's JSON logs."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        )
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f'{atoms["m"]} {atoms["U"]} {atoms["s"]}',
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or "",
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 3),
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "request_id": atoms["request_id"],
            "trace_id": atoms["trace_id"],
            "db_ms": None if atoms["db_ms"] == MISSING else float(atoms["db_ms"]),
            "db_queries": None if atoms["db_queries"] == MISSING else atoms["db_queries"],
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=True))
        except Exception:
            logging.getLogger("gunicorn.error").exception("Could not write an access log line.")
