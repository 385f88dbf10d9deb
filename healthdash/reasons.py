"""Short, safe reasons for a check that failed, and its traceback for the log."""

from __future__ import annotations

import traceback

from observability.redaction import redact

TIMEOUT = "timeout"
MAX_REASON_LENGTH = 300


def is_timeout(exc: BaseException) -> bool:
    """Whether `exc`, or an exception it was raised `from`, is a timeout of any library."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, TimeoutError) or any(
            cls.__name__.endswith(("Timeout", "TimeoutError")) for cls in type(exc).__mro__
        ):
            return True
        exc = exc.__cause__
    return False


def reason_for(exc: BaseException) -> str:
    """``timeout``, or the exception's type and the first line of its message, redacted."""
    if is_timeout(exc):
        return TIMEOUT
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__
    text = redact(text)
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 3] + "..."


def safe_traceback(exc: BaseException) -> str:
    """The formatted traceback of `exc`, redacted, for the log only."""
    return redact("".join(traceback.format_exception(exc)).rstrip())
