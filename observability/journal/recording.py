"""Recording the journal: the log records of each request held in memory, kept only for notable requests.

``JournalMiddleware`` (after ``MetricsMiddleware`` in ``MIDDLEWARE``; ``observability.pipeline``)
gives each request a ``Capture``; ``JournalHandler``, on the root logger, appends the request's
records to it (the record itself: nothing is formatted for a request that will not be kept). When
the server closes the response (after Django's own ``django.request`` line for a 5xx), the tail
decision is made: a status of 500 or more, or a request slower than ``REQUEST_JOURNAL_SLOW_MS``,
is turned into an entry, redacted, and handed to ``observability.journal.writer``.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar, Token
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from opentelemetry import trace

from observability.compat.django import close_with
from observability.context import get_request_id, user_id_of
from observability.instance import instance_id
from observability.journal.configuration import get_journal_config
from observability.journal.writer import writer
from observability.metrics.middleware import route_of
from observability.middleware import SERVER_SPAN_ATTRIBUTE
from observability.pipeline import set_up_middleware
from observability.redaction import mask_target, redact

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["Capture", "JournalHandler", "JournalMiddleware", "install_handler"]

logger = logging.getLogger(__name__)
MAX_LOGS = 50


class Capture:
    """One request's log records (at most ``MAX_LOGS``) and the class of the exception its view raised."""

    __slots__ = ("records", "exception")

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self.exception: str | None = None


capture_var: ContextVar[Capture | None] = ContextVar("journal_capture", default=None)


class JournalHandler(logging.Handler):
    """Appends each record to the current request's ``Capture``; outside a request it does nothing."""

    def handle(self, record: logging.LogRecord) -> bool:
        # No lock, no filter, no formatting: a list append per record, in the request's own context.
        capture = capture_var.get()
        if capture is not None and len(capture.records) < MAX_LOGS:
            capture.records.append(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)


_handler = JournalHandler()


def install_handler() -> None:
    """Put the handler on the root logger once (every record that reaches the console reaches it)."""
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)


def logs_of(capture: Capture) -> list[dict]:
    """The captured records as an entry shows them, each message redacted as every log line is."""
    logs = []
    for record in capture.records:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: logging reported it already
            message = str(record.msg)
        logs.append({"level": record.levelname, "logger": record.name, "message": redact(message),
                     "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z")})
    return logs


def trace_id_of(request: HttpRequest) -> str | None:
    """The request's trace ID when its trace is sampled (kept by the exporter), else None."""
    span = request.__dict__.get(SERVER_SPAN_ATTRIBUTE) or trace.get_current_span()
    context = span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid and context.trace_flags.sampled else None


def entry_of(request: HttpRequest, status: int, seconds: float, capture: Capture) -> dict:
    """The fields of a ``JournalEntry`` for a notable request: nothing secret, the path's query masked."""
    return {
        "request_id": getattr(request, "request_id", None) or get_request_id() or "-",
        "trace_id": trace_id_of(request) or "",
        "method": (request.method or "")[:16],
        "route": route_of(request)[:255],
        "path": redact(mask_target(request.get_full_path())),
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "started_at": datetime.now(UTC) - timedelta(seconds=seconds),
        "instance": instance_id(),
        "user": user_id_of(request) or "",
        "exception": capture.exception or "",
        "logs": logs_of(capture),
    }


class JournalMiddleware:
    """Captures each request's log records and keeps the notable requests' (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        config = get_journal_config()
        set_up_middleware(self, get_response, config.enabled)
        self.slow_seconds = config.slow_ms / 1000
        install_handler()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.async_mode:
            return self.__acall__(request)
        capture = Capture()
        token = capture_var.set(capture)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except BaseException:
            _reset(token)
            raise
        close_with(response, lambda: self._close(request, response, capture, token, started))
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        capture = Capture()
        token = capture_var.set(capture)
        started = time.perf_counter()
        try:
            response = await self.get_response(request)
        except BaseException:
            _reset(token)
            raise
        close_with(response, lambda: self._close(request, response, capture, token, started))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Notes the class of the exception the view raised; Django answers it as usual."""
        capture = capture_var.get()
        if capture is not None:
            capture.exception = type(exception).__name__

    def _close(self, request: HttpRequest, response: HttpResponseBase, capture: Capture, token: Token,
               started: float) -> None:
        seconds = time.perf_counter() - started
        _reset(token)
        status = response.status_code
        if status >= 500 or seconds >= self.slow_seconds:  # the tail decision
            try:
                writer.submit(entry_of(request, status, seconds, capture))
            except Exception:  # recording never fails the request
                logger.exception("The request journal could not record request %s.", get_request_id())


def _reset(token: Token) -> None:
    # A plain try (free in 3.11) rather than contextlib.suppress, which costs on every request.
    try:  # noqa: SIM105
        capture_var.reset(token)
    except ValueError:  # ASGI closes responses in a copy of the request's context
        pass
