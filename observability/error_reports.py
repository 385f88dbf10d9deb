"""Django's error reports (the ``DEBUG=True`` page, the admins' e-mail) without the project's secrets.

Django's ``SafeExceptionReporterFilter`` hides a setting, a ``META`` entry or a frame's variable
by its name (``API``, ``KEY``, ``PASS``...), so ``CELERY_BROKER_URL``, a cache's ``LOCATION``,
``TRACING_ENDPOINT`` in the environment runserver copies into ``META``, or a local variable
holding a provider's key are shown as they are. ``SecretsExceptionReporterFilter`` also passes
every value through ``observability.redaction.redact()``: the configured secrets, URL
passwords and query values are masked whatever their name. A project sets it once::

    DEFAULT_EXCEPTION_REPORTER_FILTER = "observability.error_reports.SecretsExceptionReporterFilter"
"""

from __future__ import annotations

from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

from observability.redaction import redact


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
