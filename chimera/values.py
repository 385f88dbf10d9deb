"""Operator values in messages and their casting: shared by the service layer's parsers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Problem:
    """One invalid value: which check ID, which variable, what is wrong and how to fix it."""

    id: str  # "E001"; checks.py prefixes "chimera."
    variable: str
    message: str
    hint: str = ""


def shown(value: object) -> str:
    """`value` quoted for a message, shortened so a huge value cannot flood a log."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def shown_url(value: object) -> str:
    """A URL for a message: scheme and host only, since the rest may hold a credential."""
    try:
        parts = urlsplit(str(value))
        return repr(f"{parts.scheme}://{parts.hostname or ''}/...") if parts.scheme else "'<not a URL>'"
    except ValueError:
        return "'<not a URL>'"


def splits(url: object) -> bool:
    """Whether `url` can be split into URL parts at all (a bad port or bracket cannot)."""
    try:
        urlsplit(str(url))
    except ValueError:
        return False
    return True


def number(value: object, kind: type) -> int | float | None:
    """`value` cast by `kind` (int, float), or None; booleans and NaN are not numbers here."""
    if isinstance(value, bool):
        return None
    try:
        result = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return result if result == result else None
