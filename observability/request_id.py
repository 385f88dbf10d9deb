"""Request IDs as values (what a valid incoming ID looks like, how new ones are made) and their configuration."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from observability.exporting import HEADER_NAME
from observability.parsing import Invalid, Problem, Reader, Running, Variable, boolean, shown

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


# --- Request IDs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestIDConfig:
    """How request IDs are read, generated and returned."""

    header: str = "X-Request-ID"
    trust_incoming: bool = True
    generator: Callable[[], str] = field(default=generate_request_id, compare=False)
    generator_path: str = "observability.request_id.generate_request_id"
    # Paths whose errors (404, 500, ...) answer JSON in the error envelope, with the ID.
    json_error_prefixes: tuple[str, ...] = ("/api/",)

    @property
    def meta_key(self) -> str:
        """The header's key in ``request.META`` (``HTTP_X_REQUEST_ID``)."""
        return "HTTP_" + self.header.upper().replace("-", "_")


def header_name(value: object, name: str) -> str:
    if isinstance(value, str) and HEADER_NAME.fullmatch(value.strip()):
        return value.strip()
    raise Invalid(f"{name} is not a valid HTTP header name: {shown(value)}.")


def prefixes(value: object, name: str) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    if isinstance(items, list | tuple) and all(isinstance(p, str) and p.startswith("/") for p in items):
        return tuple(items)
    raise Invalid(f"{name} must be a list of paths starting with '/', got {shown(items)}.")


def generator(path: object, name: str) -> tuple[Callable[[], str], str]:
    """The function `path` names, once it has returned a valid request ID."""
    hint = "Give the dotted path of a function that returns a string"
    try:
        function = import_string(str(path))
    except ImportError as exc:
        raise Invalid(f"{name} {shown(path)} cannot be imported: {exc}",
                      hint=f"{hint}, for example myproject.ids.make_request_id.") from None
    if not callable(function):
        raise Invalid(f"{name} {shown(path)} is not callable.", "observability.E007", hint=f"{hint}.")
    try:
        valid = is_valid_request_id(function())
    except Exception:  # any failure of the operator's function means it cannot be used
        valid = False
    if not valid:
        raise Invalid(f"{name} {shown(path)} does not return a valid request ID.", "observability.E005",
                      "Return 1 to 128 characters from letters, digits and - _ . : / + = @.")
    return function, str(path)


REQUEST_ID_VARIABLES = (
    Variable("REQUEST_ID_HEADER", "header", header_name, "observability.E001",
             "Use letters, digits and hyphens, for example X-Request-ID."),
    Variable("REQUEST_ID_TRUST_INCOMING", "trust_incoming", boolean, "observability.E002"),
    Variable("REQUEST_ID_GENERATOR", "generator", generator, "observability.E003"),
    Variable("JSON_ERROR_PREFIXES", "json_error_prefixes", prefixes, "observability.E004", 'For example ["/api/"].',
             environment=False),
)


def parse_request_id(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                     ) -> tuple[RequestIDConfig, list[Problem]]:
    """Validate the request-ID variables; invalid ones keep their default."""
    r = Reader(raw, environ, "OBSERVABILITY")
    for variable in REQUEST_ID_VARIABLES:
        r.read(variable)
    values = dict(r.values)
    if "generator" in values:
        values["generator"], values["generator_path"] = values["generator"]
    return RequestIDConfig(**values), r.problems


REQUEST_ID_RUNNING = Running("OBSERVABILITY", parse_request_id)


def get_request_id_config() -> RequestIDConfig:
    """The running request-ID configuration (parsed once; dropped when settings change)."""
    return REQUEST_ID_RUNNING.config()


def request_id_problems() -> list[Problem]:
    """Problems found in the running request-ID configuration."""
    return REQUEST_ID_RUNNING.problems()
