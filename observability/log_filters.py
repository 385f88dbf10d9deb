"""RequestContextFilter: request_id, trace_id and span_id on every log record; task_id and task_name in tasks."""

from __future__ import annotations

import logging

from opentelemetry import trace

from observability.context import request_id_var, task_var

MISSING = "-"


class RequestContextFilter(logging.Filter):
    """Add the current request ID and span to each record (``-`` outside a request or span).

    Put it on handlers, not loggers: a logger's filters miss records of its children.
    Values already on a record (set with ``extra=``) are kept. Records of a background task also
    get ``task_id`` and ``task_name``, which JSON formatters show as extra fields.
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
        task = task_var.get()
        if task is not None and "task_id" not in fields:
            fields["task_id"], fields["task_name"] = task
        return True
