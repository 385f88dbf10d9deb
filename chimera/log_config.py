"""The project's LOGGING: one console handler, text or JSON lines, every record redacted and correlated."""

from __future__ import annotations


def logging_config(level: str, log_format: str) -> dict:
    """Django's LOGGING for `level` and `log_format` (``text`` or ``json``)."""
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
