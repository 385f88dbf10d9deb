"""Logging filters for the handlers that write log lines.

- ``RequestContextFilter``: request_id, trace_id and span_id on every record; user once the request's
  caller is authenticated; task_id and task_name in background tasks.
- ``RedactionFilter``: the configured secrets, URL credentials and query values masked in every
  record (message, traceback, extra fields, objects such as the request as they are written),
  whichever library wrote it.
- ``SecurityEventFilter``: Django's ``django.security.*`` records (a bad Host, a body too large)
  as one WARNING line without the traceback, so a scanner cannot flood the logs.

Put them on handlers, not loggers: a logger's filters miss records of its children.
"""

from __future__ import annotations

import logging

from opentelemetry import trace

from observability.context import request_id_var, request_var, task_var, user_id_of
from observability.redaction import redact

__all__ = ["RedactionFilter", "RequestContextFilter", "SecurityEventFilter"]

MISSING = "-"
# Attributes every LogRecord has; anything else was added with extra= (and JSON lines show it).
RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "request_id", "trace_id", "span_id", "user"}
# How many attributes a record has before any filter adds some: more means extra= fields (put
# RedactionFilter before RequestContextFilter, so that ordinary records skip the search).
PLAIN_RECORD_SIZE = len(vars(logging.LogRecord("", 0, "", 0, "", (), None)))
SECURITY_LOGGERS = "django.security."
MAX_SECURITY_MESSAGE = 300
_formatter = logging.Formatter()


class RequestContextFilter(logging.Filter):
    """Add the current request ID and span to each record (``-`` outside a request or span).

    Values already on a record (set with ``extra=``) are kept. Records of an authenticated request
    get ``user`` (the user's primary key), records of a background task ``task_id`` and ``task_name``,
    which JSON formatters show as extra fields; anonymous requests get no ``user`` at all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Looking in __dict__ rather than hasattr(): a missing attribute raises inside hasattr,
        # and this runs for every record.
        fields = record.__dict__
        if "request_id" not in fields:
            fields["request_id"] = request_id_var.get() or MISSING
        if "trace_id" not in fields:
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                fields["trace_id"] = format(context.trace_id, "032x")
                fields["span_id"] = format(context.span_id, "016x")
            else:
                fields["trace_id"] = fields["span_id"] = MISSING
        request = request_var.get()
        if request is not None and "user" not in fields:
            user = user_id_of(request)
            if user is not None:
                fields["user"] = user
        task = task_var.get()
        if task is not None and "task_id" not in fields:
            fields["task_id"], fields["task_name"] = task
        return True


class RedactionFilter(logging.Filter):
    """Mask secrets in each record before any formatter sees it (``observability.redaction.redact``).

    The message is formatted here; the traceback too, then kept as text only, so that no
    formatter (plain or JSON) formats the exception again from the unredacted original.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: logging reports it itself
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        fields = record.__dict__
        if len(fields) > PLAIN_RECORD_SIZE:  # fields added with extra=, which JSON lines show
            for name in fields.keys() - RECORD_ATTRIBUTES:
                fields[name] = redacted_field(fields[name])
        return True


def redacted_field(value: object) -> object:
    """A field added with ``extra=``, redacted as a formatter would write it.

    JSON formatters write an object as its ``str()``: Django's ``django.request`` records carry the
    request, whose text holds the query string. Such an object is replaced by its redacted text
    only when that text held a secret, so that handlers reading the object (Django's
    ``AdminEmailHandler`` reads ``record.request``) keep it otherwise.
    """
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    try:
        text = str(value)
    except Exception:  # an object that cannot be written: the formatter reports it itself
        return value
    redacted = redact(text)
    return value if redacted == text else redacted


class SecurityEventFilter(logging.Filter):
    """Django's security records as one WARNING line: no traceback, the message shortened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(SECURITY_LOGGERS):
            return True
        try:
            message = " ".join(record.getMessage().split())
        except Exception:
            message = record.name
        if len(message) > MAX_SECURITY_MESSAGE:
            message = message[:MAX_SECURITY_MESSAGE - 3] + "..."
        record.msg, record.args = message, ()
        record.exc_info = record.exc_text = record.stack_info = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return logging.getLogger(record.name).isEnabledFor(record.levelno)
