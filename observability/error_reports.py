"""Django's error reports (the ``DEBUG=True`` page, the admins' e-mail) without the project's secrets.

Django's ``SafeExceptionReporterFilter`` hides a setting, a ``META`` entry or a frame's variable
by its name (``API``, ``KEY``, ``PASS``...), so ``CELERY_BROKER_URL``, a cache's ``LOCATION``,
``TRACING_ENDPOINT`` in the environment runserver copies into ``META``, or a local variable
holding a provider's key are shown as they are. ``SecretsExceptionReporterFilter`` also passes
every value through ``observability.redaction.redact()``: the configured secrets, URL
passwords and query values are masked whatever their name. The filter is never asked about the
exception's own message (a client library writing its connection URL, a password in an SQL
error), its notes, the exceptions it was raised from, or the request's URL and query, which the
report writes as they are: ``SecretsExceptionReporter`` passes those through ``redact()`` too.
DEBUG's "Page not found" page asks neither: it shows the request's URL and the ``Http404``'s
text, redacted the same way (``redacted_not_found``) while the reporter is this one.
A project sets both once::

    DEFAULT_EXCEPTION_REPORTER_FILTER = "observability.error_reports.SecretsExceptionReporterFilter"
    DEFAULT_EXCEPTION_REPORTER = "observability.error_reports.SecretsExceptionReporter"
"""

from __future__ import annotations

from pprint import pformat

from django.http import Http404
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter, get_exception_reporter_class

from observability.query_keys import safe_query_keys
from observability.redaction import MASK, redact

__all__ = ["SecretsExceptionReporter", "SecretsExceptionReporterFilter", "redacted_not_found"]


class Shown:
    """A frame's variable as the report writes it (its ``repr``), redacted."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and every setting, ``META`` entry, cookie and frame variable redacted."""

    def cleanse_setting(self, key, value):
        """The setting (or ``META`` entry) cleansed by name, then its text redacted; dicts and lists item by item."""
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        """The frame's variables cleansed by Django's rules, then redacted as the report writes them."""
        return [(name, redacted_variable(value))
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]


def redacted_variable(value: object) -> object:
    """`value`, or what the report would write for it redacted when that held a secret."""
    if isinstance(value, str):
        return redact(value)
    try:
        text = pformat(value)
    except Exception:  # the report says itself that the value could not be written
        return value
    redacted = redact(text)
    return value if redacted == text else Shown(redacted)


class SecretsExceptionReporter(ExceptionReporter):
    """Django's report, with the exception's text, its causes' and the request's URL and query redacted."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        for name in ("exception_value", "exception_notes", "request_insecure_uri"):
            if isinstance(data.get(name), str):
                data[name] = redact(data[name])
        for frame in data.get("frames", ()):
            # The causes are exceptions the template writes with str(); their text is redacted the same way.
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = redact(str(frame["exc_cause"]))
        if "request_GET_items" in data:
            safe = safe_query_keys()
            data["request_GET_items"] = [(key, value if key in safe else MASK)
                                         for key, value in data["request_GET_items"]]
        return data


class RedactedRequest:
    """A request as DEBUG's "Page not found" page shows it: its absolute URL redacted, all else its own."""

    def __init__(self, request) -> None:
        self.wrapped_request = request

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped_request, name)

    def build_absolute_uri(self, location: str | None = None) -> str:
        return redact(self.wrapped_request.build_absolute_uri(location))


def redacted_not_found(request, exception: Exception) -> tuple[object, Exception]:
    """The request and ``Http404`` DEBUG's "Page not found" page is made from, redacted while the reporter is ours.

    An unrouted path's ``Resolver404`` carries the path and the patterns tried (no query): kept.
    """
    if not issubclass(get_exception_reporter_class(request), SecretsExceptionReporter):
        return request, exception
    if not (exception.args and isinstance(exception.args[0], dict)):
        exception = Http404(redact(str(exception)))
    return RedactedRequest(request), exception
