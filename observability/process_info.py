"""What the system says about another process, by its pid: whether it runs, its parent, start, command line.

Linux answers from ``/proc``, without a subprocess; elsewhere ``ps`` answers the questions asked
once per process (command line, start time), and the ones asked at every scrape (parent,
children) have no answer, so callers fall back to whether the pid exists.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePath

PROC = Path("/proc")
GUNICORN = frozenset({"gunicorn"})


def exists(pid: int) -> bool:
    """Whether a process `pid` exists (another user's included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat from the third (state) on, or None."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command may hold spaces and parentheses: the fields after its last ")" are fixed.
    return stat.rsplit(")", 1)[1].split()


def parent_of(pid: int) -> int | None:
    """The parent of `pid` (None: gone, or unknown without /proc)."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def start_time(pid: int) -> str | None:
    """When `pid` started, as a token that differs between two processes given the same pid; None when gone."""
    fields = _stat_fields(pid)
    if fields:
        return fields[19]  # clock ticks since boot
    if PROC.is_dir():
        return None
    text = _ps(pid, "lstart")
    return "".join(character for character in text if character.isalnum()) or None


def command_line(pid: int) -> list[str]:
    """The arguments `pid` runs with ([] when gone)."""
    try:
        arguments = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return [] if PROC.is_dir() else _ps(pid, "command").split()
    return [argument.decode(errors="replace") for argument in arguments.split(b"\0") if argument]


def children_of(pid: int) -> list[int]:
    """The processes `pid` started that still run ([] when unknown)."""
    try:
        return [int(child) for child in (PROC / str(pid) / "task" / str(pid) / "children").read_text().split()]
    except OSError:
        return []


def program(arguments: list[str], names: frozenset[str]) -> str | None:
    """Which of `names` the command line `arguments` runs: a script, ``python -m name`` or a retitled process."""
    for argument in arguments[:3]:  # interpreter, -m or script, module
        name = PurePath(argument).name
        if name in names:
            return name
        retitled = argument.split(":", 1)[0]  # setproctitle's "gunicorn: master [mysite.wsgi]"
        if retitled in names:
            return retitled
    return None


def runs_gunicorn(pid: int) -> bool:
    """Whether `pid` runs gunicorn: its master, or a worker forked from it."""
    return program(command_line(pid), GUNICORN) is not None


def _ps(pid: int, field: str) -> str:
    try:
        return subprocess.run(["ps", "-o", f"{field}=", "-p", str(pid)], capture_output=True, text=True,
                              timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
