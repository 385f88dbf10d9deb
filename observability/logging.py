"""A project's ``LOGGING``: one console handler, text or JSON lines, every record redacted and correlated.

``LOGGING = logging_config("INFO", "json")`` in any project's settings gives what chimera runs
with: each line carries the request's ID (and the trace's, with tracing on), secrets are masked,
and a rejected ``Host`` is one line instead of a traceback.
"""

from __future__ import annotations

__all__ = ["logging_config"]

FORMATS = ("text", "json")


def logging_config(level: str = "INFO", log_format: str = "text") -> dict:
    """Django's LOGGING for `level` (a level name) and `log_format` (``text`` or ``json``)."""
    if log_format not in FORMATS:  # dictConfig would name neither the setting nor the choices
        raise ValueError(f"log_format must be one of {', '.join(FORMATS)}, got {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": "observability.log_filters.RequestContextFilter"},
            "redact": {"()": "observability.log_filters.RedactionFilter"},  # secrets masked in every record
            "security_events": {"()": "observability.log_filters.SecurityEventFilter"},  # bad Host: one line
        },
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s",
                "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
                # Security records shortened first, then redacted, then given the request's context.
                "filters": ["security_events", "redact", "request_context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own handlers are dropped: its records reach the console through the root.
        "loggers": {
            "django": {"level": level, "handlers": [], "propagate": True},
            # One INFO line per outgoing call (with its URL) is noise, and URLs can hold secrets.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
