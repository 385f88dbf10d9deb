"""RequestContextFilter: request_id, trace_id and span_id on every log record."""

from __future__ import annotations

import logging

from opentelemetry import trace

from observability.context import request_id_var

MISSING = "-"


class RequestContextFilter(logging.Filter):
    """Add the current request ID and span to each record (``-`` outside a request or span).

    Put it on handlers, not loggers: a logger's filters miss records of its children.
    Values already on a record (set with ``extra=``) are kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or MISSING
        if not hasattr(record, "trace_id"):
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                record.trace_id = format(context.trace_id, "032x")
                record.span_id = format(context.span_id, "016x")
            else:
                record.trace_id = record.span_id = MISSING
        return True
