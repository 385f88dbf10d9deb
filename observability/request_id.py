"""Request IDs as values: what a valid incoming ID looks like, and how new ones are made."""

from __future__ import annotations

import os
import re

MAX_LENGTH = 128
# Letters, digits and - _ . : / + = @ (ASCII only): safe to echo in a header and a log line,
# wide enough for UUIDs, ULIDs, base64 IDs and the "service:id" forms callers use.
VALID_ID = re.compile(r"[A-Za-z0-9\-_.:/+=@]+", flags=re.ASCII)


def is_valid_request_id(value: str | None) -> bool:
    """Whether `value` may be used as a request ID; the length is checked before anything else."""
    return value is not None and 0 < len(value) <= MAX_LENGTH and VALID_ID.fullmatch(value) is not None


# Version 4 and RFC 4122 variant bits, as uuid.uuid4() sets them.
_CLEAR_BITS = ~((0xF000 << 64) | (0xC000 << 48))
_SET_BITS = (0x4000 << 64) | (0x8000 << 48)
BATCH = 64
_ready: list[str] = []


def generate_request_id() -> str:
    """A new random ID, the same string as ``str(uuid.uuid4())`` (from the OS's CSPRNG).

    IDs are made 64 at a time from one ``os.urandom`` call: a system call on every request
    costs several µs in a busy process (more than the ID itself), and going through
    ``uuid.UUID`` objects costs as much again. ``list.pop`` is atomic, so threads never share
    an ID, and a forked child drops what its parent made (see ``_forget_after_fork``).
    """
    try:
        return _ready.pop()
    except IndexError:
        _ready.extend(_make_batch())
        return _ready.pop()


def _make_batch() -> list[str]:
    raw = os.urandom(16 * BATCH)
    batch = []
    for start in range(0, 16 * BATCH, 16):
        value = f"{int.from_bytes(raw[start:start + 16]) & _CLEAR_BITS | _SET_BITS:032x}"
        batch.append(f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}")
    return batch


def _forget_after_fork() -> None:
    # Workers forked from a preloading master must not hand out the same pending IDs.
    _ready.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
