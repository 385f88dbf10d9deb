"""Request IDs as values: what a valid incoming ID looks like, and how new ones are made (pure)."""

from __future__ import annotations

import re
import uuid

MAX_LENGTH = 128
# Letters, digits and - _ . : / + = @ (ASCII only): safe to echo in a header and a log line,
# wide enough for UUIDs, ULIDs, base64 IDs and the "service:id" forms callers use.
VALID_ID = re.compile(r"[A-Za-z0-9\-_.:/+=@]+", flags=re.ASCII)


def is_valid_request_id(value: str | None) -> bool:
    """Whether `value` may be used as a request ID; the length is checked before anything else."""
    return value is not None and 0 < len(value) <= MAX_LENGTH and VALID_ID.fullmatch(value) is not None


def generate_request_id() -> str:
    """A new random ID: ``str(uuid.uuid4())``."""
    return str(uuid.uuid4())
