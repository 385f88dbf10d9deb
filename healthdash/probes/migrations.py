"""The ``migrations`` service: degraded while migrations of the default database are unapplied.

Cheap: the migration files are read from disk once per process (they do not change while it
runs); each check reads only the ``django_migrations`` table, on the probe's own connection.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from healthdash.probes.database import own_connection
from healthdash.status import CheckResult

MigrationKey = tuple[str, str]
LISTED = 10  # unapplied migrations named in the details


@functools.cache
def migrations_on_disk() -> tuple[tuple[MigrationKey, ...], dict[MigrationKey, tuple[MigrationKey, ...]]]:
    """Every migration the graph would apply, and what each squashed migration replaces."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    replaces = {key: tuple(migration.replaces) for key, migration in loader.graph.nodes.items() if migration.replaces}
    return tuple(sorted(loader.graph.nodes)), replaces


def unapplied(applied: set[MigrationKey]) -> list[MigrationKey]:
    """Migrations on disk not recorded in `applied` (a squash counts when all it replaces is applied)."""
    nodes, replaces = migrations_on_disk()
    return [
        key for key in nodes
        if key not in applied and not (key in replaces and all(r in applied for r in replaces[key]))
    ]


@dataclass(frozen=True)
class MigrationsProbe:
    """Check of the default database's migrations; `settings_dict` replaces ``DATABASES[alias]`` (for tests)."""

    alias: str = "default"
    timeout: float = 2.0
    settings_dict: Mapping | None = field(default=None, repr=False, compare=False)

    def __call__(self) -> CheckResult:
        with own_connection(self.alias, self.timeout, self.settings_dict) as connection:
            recorder = MigrationRecorder(connection)
            applied = set(recorder.applied_migrations()) if recorder.has_table() else set()
        pending = unapplied(applied)
        if not pending:
            return CheckResult.up(unapplied=0)
        return CheckResult.degraded(
            f"{len(pending)} unapplied migration{'s' if len(pending) != 1 else ''}",
            unapplied=len(pending), first=[f"{app}.{name}" for app, name in pending[:LISTED]],
        )
