"""Settings of the request journal: REQUEST_JOURNAL_* and the link templates (TRACE_URL_TEMPLATE, LOGS_URL_TEMPLATE).

Every value is checked at start-up (``observability.E090`` to ``E095``): counts and milliseconds
are whole numbers of at least 1, a link template is an ``http(s)://`` URL holding its placeholder.
The templates turn an entry's IDs into links to the trace viewer (Jaeger:
``http://jaeger:16686/trace/{trace_id}``) and to the log store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from observability.parsing import Invalid, Problem, Reader, Running, Variable, as_http_url, as_number, boolean, must

__all__ = ["VARIABLES", "JournalConfig", "get_journal_config", "journal_problems", "link", "parse_journal"]

SETTINGS_NAME = "OBSERVABILITY"
TRACE_PLACEHOLDER, LOGS_PLACEHOLDER = "{trace_id}", "{request_id}"


@dataclass(frozen=True)
class JournalConfig:
    """Whether notable requests are recorded, what makes one slow, how many are kept and for how long."""

    enabled: bool = True
    slow_ms: int = 1000
    size: int = 1000
    ttl_hours: int = 24
    trace_url_template: str = ""  # "": entries carry no trace link
    logs_url_template: str = ""


def whole_number(value: object, name: str) -> int:
    """A whole number of at least 1."""
    number = as_number(value, int)
    if number is None or number < 1:
        raise Invalid(must(name, "a whole number of at least 1", value))
    return number


def url_template(placeholder: str):
    """A parser of an ``http(s)://`` URL holding `placeholder`."""
    def parse(value: object, name: str) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if placeholder not in text or as_http_url(text.replace(placeholder, "x")) is None:
            raise Invalid(must(name, f"an http(s):// URL containing {placeholder}", value))
        return text
    return parse


ENABLED = Variable("REQUEST_JOURNAL_ENABLED", "enabled", boolean, "observability.E090",
                   "Use true or false.")
SLOW_MS = Variable("REQUEST_JOURNAL_SLOW_MS", "slow_ms", whole_number, "observability.E091",
                   "Requests taking at least this many milliseconds are recorded; 1000 by default.")
SIZE = Variable("REQUEST_JOURNAL_SIZE", "size", whole_number, "observability.E092",
                "How many entries the journal keeps (the oldest go first); 1000 by default.")
TTL_HOURS = Variable("REQUEST_JOURNAL_TTL_HOURS", "ttl_hours", whole_number, "observability.E093",
                     "How many hours an entry is kept; 24 by default.")
TRACE_URL = Variable("TRACE_URL_TEMPLATE", "trace_url_template", url_template(TRACE_PLACEHOLDER),
                     "observability.E094", "For Jaeger: http://jaeger:16686/trace/{trace_id}")
LOGS_URL = Variable("LOGS_URL_TEMPLATE", "logs_url_template", url_template(LOGS_PLACEHOLDER),
                    "observability.E095", "A search of the log store, such as https://logs.example.com/?q={request_id}")
VARIABLES = (ENABLED, SLOW_MS, SIZE, TTL_HOURS, TRACE_URL, LOGS_URL)


def parse_journal(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                  ) -> tuple[JournalConfig, list[Problem]]:
    """The journal's configuration and its problems."""
    r = Reader(raw, environ, SETTINGS_NAME)
    for variable in VARIABLES:
        r.read(variable)
    return JournalConfig(**r.values), r.problems


RUNNING = Running(SETTINGS_NAME, parse_journal)


def get_journal_config() -> JournalConfig:
    """The running configuration."""
    return RUNNING.config()


def journal_problems() -> list[Problem]:
    """Problems of the journal's variables: every one refuses start-up, on or off."""
    return RUNNING.problems()


def link(template: str, placeholder: str, value: str | None) -> str | None:
    """`template` with `value` in place of `placeholder`; None without a template or a value."""
    return template.replace(placeholder, value) if template and value else None
