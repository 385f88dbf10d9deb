"""The ``database`` services: ``SELECT 1`` on a connection of the probe's own, closed afterwards.

Not the request's connection (``django.db.connections``): the probe must not share a
transaction, a broken connection or a pool with the application, and it must give up on a
server that does not answer. It copies the alias's settings, adds a connect timeout, drops
connection pooling, and writes nothing (an SQLite file that does not exist is not created).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from healthdash.status import CheckResult

__all__ = ["DatabaseProbe", "own_connection", "probe_settings", "service_name"]


def service_name(kind: str, alias: str) -> str:
    """``database`` for the default alias, ``database:<alias>`` for the others."""
    return kind if alias == "default" else f"{kind}:{alias}"


def probe_settings(settings_dict: Mapping, timeout: float) -> dict:
    """A copy of a DATABASES entry with a connect timeout and no connection pool."""
    probe = copy.deepcopy(dict(settings_dict))
    options = probe.setdefault("OPTIONS", {})
    options.pop("pool", None)
    vendor = probe.get("ENGINE", "")
    if "postgresql" in vendor:
        # libpq counts whole seconds and treats anything under 2 as 2.
        options["connect_timeout"] = max(2, math.ceil(min(timeout, options.get("connect_timeout") or timeout)))
    elif "mysql" in vendor:
        options["connect_timeout"] = max(1, math.ceil(timeout))
    elif "sqlite" in vendor:
        options["timeout"] = timeout
    probe["CONN_MAX_AGE"] = 0
    # The defaults Django fills in for DATABASES entries (TIME_ZONE, AUTOCOMMIT, ...).
    return connections.configure_settings({"default": probe})["default"]


@contextmanager
def own_connection(alias: str, timeout: float, settings_dict: Mapping | None = None) -> Iterator[BaseDatabaseWrapper]:
    """A new connection to `alias` (or to `settings_dict`), opened with a timeout and always closed."""
    source = connections.settings[alias] if settings_dict is None else settings_dict
    probe = probe_settings(source, timeout)
    _refuse_missing_sqlite_file(probe)
    connection = load_backend(probe["ENGINE"]).DatabaseWrapper(probe, alias)
    try:
        connection.ensure_connection()
        yield connection
    finally:
        connection.close()


def _refuse_missing_sqlite_file(probe: Mapping) -> None:
    if "sqlite" not in probe.get("ENGINE", ""):
        return
    name = str(probe.get("NAME") or "")
    if name and name != ":memory:" and not name.startswith("file:") and not Path(name).exists():
        raise FileNotFoundError("the SQLite database file does not exist")


@dataclass(frozen=True)
class DatabaseProbe:
    """Check of one database alias; `settings_dict` replaces ``DATABASES[alias]`` (for tests)."""

    alias: str = "default"
    timeout: float = 2.0
    settings_dict: Mapping | None = field(default=None, repr=False, compare=False)

    def __call__(self) -> CheckResult:
        with own_connection(self.alias, self.timeout, self.settings_dict) as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT 1{connection.features.bare_select_suffix}")
            cursor.fetchone()
            version = ".".join(map(str, connection.get_database_version()))
        return CheckResult.up(alias=self.alias, vendor=connection.vendor, version=version)
