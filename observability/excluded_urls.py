"""Paths left out of tracing and metrics: patterns matched from the start of the path.

``TRACING_EXCLUDED_URLS`` and ``METRICS_EXCLUDED_URLS`` are both comma-separated regular
expressions anchored at the path's start and ending at a segment boundary, checked (one rule,
``patterns``: empty entries, as a trailing comma makes, are skipped) and compiled here so that
both features read them alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from observability.parsing import Invalid, shown

__all__ = ["compile_excluded", "pattern_error", "patterns", "split_patterns"]

HINT = "Give comma-separated path patterns matched from the start of the path, such as /health."


def compile_excluded(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching a path that starts with a pattern and ends there at a segment boundary.

    ``/health`` matches ``/health`` and ``/health/ready`` but not ``/healthcare`` or
    ``/api/health``; a pattern ending with ``/`` (``/static/``) matches everything below it.
    """
    patterns = list(patterns)
    if not patterns:
        return None
    return re.compile(f"(?:{'|'.join(f'(?:{p})' for p in patterns)})(?:(?<=/)|(?![^/]))")


def split_patterns(value: object) -> list[object]:
    """The entries of a comma-separated string, or of a list or tuple; any other value as one entry."""
    items = value.split(",") if isinstance(value, str) else value
    return list(items) if isinstance(items, list | tuple) else [value]


def pattern_error(item: object) -> str:
    """Why `item` cannot be an excluded-path pattern, or "" when it can."""
    pattern = item.strip() if isinstance(item, str) else None
    if not pattern or not pattern.startswith("/"):
        return "does not start with /"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return ""


def patterns(value: object, name: str) -> tuple[str, ...]:
    """A ``Variable`` parser: the patterns of `value`; the first one that cannot be used is the problem."""
    items = [item for item in split_patterns(value) if not (isinstance(item, str) and not item.strip())]
    for item in items:
        if error := pattern_error(item):
            raise Invalid(f"{name} pattern {shown(item)} {error}.")
    return tuple(item.strip() for item in items)
