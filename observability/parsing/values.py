"""The building blocks of settings: ``Problem``, one invalid value with a stable check ID, and the
casts, which return None for a value they cannot read so that a parser can collect every problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

__all__ = [
    "FALSE_STRINGS", "SECRET", "TRUE_STRINGS", "Invalid", "Problem", "RATE", "as_bool", "as_choice", "as_http_url",
    "as_number", "as_rate", "boolean", "must",
    "setting_dict", "shown",
]

TRUE_STRINGS = frozenset({"1", "true", "yes", "on"})
FALSE_STRINGS = frozenset({"0", "false", "no", "off"})
SECRET = "'***'"  # what a message shows in place of a secret value


@dataclass(frozen=True)
class Problem:
    """One invalid value: its check ID, the variable, what is wrong and how to fix it."""

    id: str  # "observability.E014": app, level and number; a number is never reused for another message
    variable: str
    message: str  # names the variable and the value (secrets as '***')
    hint: str = ""

    @property
    def is_error(self) -> bool:
        """Errors stop start-up; warnings are only reported."""
        return ".E" in self.id

    def as_warning(self) -> Problem:
        """The same problem at warning level (``observability.W014``), for a feature that is off."""
        return replace(self, id=self.id.replace(".E", ".W", 1))

    def check_message(self) -> CheckMessage:
        """The Django system check message of this problem."""
        from django.core import checks

        kind = checks.Error if self.is_error else checks.Warning
        return kind(self.message, hint=self.hint or None, id=self.id)


class Invalid(ValueError):
    """Raised by a parser for a value it refuses; the message is the whole problem's message.

    `problem_id` and `hint` replace the variable's own where one variable has several distinct
    problems (an endpoint that is no URL, and one that carries credentials a gRPC exporter drops).
    """

    def __init__(self, message: str, problem_id: str = "", hint: str | None = None):
        super().__init__(message)
        self.problem_id, self.hint = problem_id, hint


def shown(value: object) -> str:
    """`value` quoted for a message, shortened so a huge value cannot flood a log."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_bool(value: object) -> bool | None:
    """True/False, or one of their usual spellings (yes/no, on/off, 1/0); None otherwise."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    return text in TRUE_STRINGS if text in TRUE_STRINGS | FALSE_STRINGS else None


def boolean(value: object, name: str) -> bool:
    """A ``Variable`` parser: true or false, in any of their usual spellings."""
    flag = as_bool(value)
    if flag is None:
        raise Invalid(must(name, "true or false", value), hint="Use true or false (also yes/no, on/off, 1/0).")
    return flag


def as_number(value: object, kind: type[int] | type[float] = float) -> int | float | None:
    """A finite number cast by `kind` from a string or a number; None for anything else (booleans too)."""
    if isinstance(value, bool) or (kind is int and isinstance(value, float)):
        return None
    try:
        number = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def as_choice(value: object, choices: Iterable[str]) -> str | None:
    """One of `choices`, compared without case or surrounding spaces; None otherwise."""
    text = value.strip().lower() if isinstance(value, str) else None
    return text if text in choices else None


RATE = re.compile(r"(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)s?", re.IGNORECASE)
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def as_rate(value: object) -> tuple[int, int] | None:
    """``(count, seconds)`` of a rate such as ``10/min`` (also s, hour, day); None otherwise."""
    match = RATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    return int(match[1]), PERIOD_SECONDS[match[2][0].lower()]


def as_http_url(value: object) -> SplitResult | None:
    """The parts of an ``http://`` or ``https://`` URL with a host and a valid port; None otherwise."""
    try:
        parts = urlsplit(value.strip()) if isinstance(value, str) else None
        valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname) \
            and (parts.port or 0) >= 0
    except ValueError:  # a bad port or bracket
        return None
    return parts if valid else None


def must(name: str, what: str, value: object) -> str:
    """The usual problem message: ``NAME must be <what>, got <value>.``"""
    return f"{name} must be {what}, got {shown(value)}."


def setting_dict(name: str) -> Mapping[str, object]:
    """The project's settings dict `name`; anything that is not a mapping counts as empty."""
    value = getattr(settings, name, None)
    return value if isinstance(value, Mapping) else {}
