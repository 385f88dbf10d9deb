"""This process's ``service.instance.id``: one per process, a worker forked from a master gets its own.

OTLP metrics carry it as a resource attribute and journal entries as ``instance``, so an operator
goes from an entry to the worker's metrics.
"""

from __future__ import annotations

import os
import uuid

__all__ = ["instance_id"]

_current: tuple[int, str] = (0, "")


def instance_id() -> str:
    """The ID of the running process, made on first use in it."""
    global _current
    pid = os.getpid()
    if _current[0] != pid:  # first use, or first use since a fork
        _current = (pid, str(uuid.uuid4()))
    return _current[1]
