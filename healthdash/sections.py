"""Sections other apps add to the dashboard, next to ``services`` and ``middleware``.

An app registers a section in its ``AppConfig.ready()``::

    from healthdash.sections import register_section
    register_section("providers", lambda detailed: {"count": 1, "items": [...]}, replace=True)

The function gets ``detailed`` (true for staff and API-key callers, who may see more) and
returns something JSON can encode. It runs when the dashboard builds a fresh answer for an
audience (once per run and audience, since answers are cached), in the request's thread: keep
it cheap and leave I/O to a health check. A section that raises is logged and left out of the
answer; with no section registered the key is simply absent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from healthdash.reasons import safe_traceback
from healthdash.registry import AlreadyRegistered

__all__ = ["SectionRegistry", "register_section"]

logger = logging.getLogger(__name__)

Section = Callable[[bool], object]
RESERVED = frozenset({"status", "checked_at", "services", "middleware", "maintenance", "duration_ms", "traffic"})


class SectionRegistry:
    """Dashboard sections by name, in registration order."""

    def __init__(self):
        self._sections: dict[str, Section] = {}
        self._lock = threading.Lock()

    def register(self, name: str, func: Section, *, replace: bool = False) -> Section:
        """Add the section `name`, computed by ``func(detailed)``; AlreadyRegistered unless `replace`."""
        if not isinstance(name, str) or not name or name in RESERVED:
            raise ValueError(f"A section name must be a non-empty string other than {', '.join(sorted(RESERVED))}; "
                             f"got {name!r}.")
        if not callable(func):
            raise TypeError(f"Section {name!r} must be a callable taking `detailed`, got {type(func).__name__}.")
        with self._lock:
            if name in self._sections and not replace:
                raise AlreadyRegistered(f"Section {name!r} is already registered; pass replace=True to replace it.")
            self._sections[name] = func
        return func

    def unregister(self, name: str) -> None:
        """Remove the section `name` if there is one."""
        with self._lock:
            self._sections.pop(name, None)

    def names(self) -> list[str]:
        """Names of the registered sections."""
        return list(self._sections)

    def collect(self, detailed: bool) -> dict[str, object]:
        """Every section's value for this audience; a section that raises is logged and left out."""
        with self._lock:
            sections = list(self._sections.items())
        values = {}
        for name, func in sections:
            try:
                values[name] = func(detailed)
            except Exception as exc:
                logger.error("Dashboard section %s failed and is left out\n%s", name, safe_traceback(exc))
        return values


section_registry = SectionRegistry()
"""The project's dashboard sections."""

register_section = section_registry.register
unregister_section = section_registry.unregister
