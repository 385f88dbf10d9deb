"""The fleet: every process that shares the database and a shared cache, as each one records itself.

Each process writes its record (`Instance`) every ``HEALTH_HEARTBEAT_SECONDS``; a reader calls it
``stale`` when it has not been seen for 3 heartbeats and leaves it out after 10. With a shared cache
(Redis, Memcached, the database cache, files) the records live in the cache, one key each, expiring
after 10 heartbeats, with an index of their IDs: a heartbeat costs the database nothing. With a
process-local cache (local memory, dummy) the processes of one instance could not see each other
there, so the records are rows of ``healthdash_instance`` instead.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches

from healthdash.documents import iso
from healthdash.models import Instance as InstanceRow

__all__ = ["CacheStore", "DatabaseStore", "Instance", "fleet_store", "shared_cache"]

logger = logging.getLogger(__name__)
ALIAS = "default"
# Caches each process keeps to itself: a fleet cannot meet there.
LOCAL_BACKENDS = frozenset({"django.core.cache.backends.locmem.LocMemCache",
                            "django.core.cache.backends.dummy.DummyCache"})
STALE_BEATS, DROPPED_BEATS = 3, 10
PREFIX = "healthdash:fleet:"
INDEX_KEY, INDEX_LOCK = f"{PREFIX}index", f"{PREFIX}index-lock"
LOCK_SECONDS = 5  # a holder that dies mid-update releases the index by expiry
PRUNE_EVERY = 10  # beats between deletions of rows gone for good (database store)


def shared_cache(alias: str = ALIAS) -> bool:
    """Whether ``CACHES[alias]`` is a cache the fleet's processes share (not local memory or dummy)."""
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    return bool(backend) and backend not in LOCAL_BACKENDS


@dataclass(frozen=True)
class Instance:
    """One process as it last recorded itself; times are UTC."""

    id: str
    host: str
    pid: int
    version: str
    started_at: datetime
    last_seen: datetime

    def state(self, now: datetime, beat: float) -> str:
        """``stale`` once not seen for 3 heartbeats, else ``live``."""
        return "stale" if (now - self.last_seen).total_seconds() > STALE_BEATS * beat else "live"

    def entry(self, now: datetime, beat: float) -> dict[str, object]:
        """The instance as the fleet view shows it."""
        return {"id": self.id, "host": self.host, "pid": self.pid, "version": self.version,
                "started_at": iso(self.started_at), "last_seen": iso(self.last_seen), "state": self.state(now, beat)}


def _gone(instance: Instance, now: datetime, beat: float) -> bool:
    return (now - instance.last_seen).total_seconds() > DROPPED_BEATS * beat


class CacheStore:
    """Records in the shared cache: a key per process (expiring after 10 beats) and an index of their IDs."""

    def __init__(self, alias: str = ALIAS):
        self.alias = alias

    @property
    def cache(self):
        return caches[self.alias]

    def record(self, me: Instance, beat: float) -> None:
        """Write `me`; join the index when it does not list this process (first beat, or lost in a race)."""
        self.cache.set(PREFIX + me.id, asdict(me), timeout=max(int(DROPPED_BEATS * beat + 0.999), 1))
        if me.id not in (self.cache.get(INDEX_KEY) or ()):
            self._join(me.id)

    def _join(self, instance_id: str) -> None:
        # The index is read, edited and written under a lock in the cache (add() is atomic), so two
        # processes joining at once do not drop each other; without the lock, the next beat tries again.
        if not self.cache.add(INDEX_LOCK, instance_id, timeout=LOCK_SECONDS):
            return
        try:
            ids = list(self.cache.get(INDEX_KEY) or ())
            alive = self.cache.get_many([PREFIX + i for i in ids])
            ids = [i for i in ids if PREFIX + i in alive and i != instance_id] + [instance_id]
            self.cache.set(INDEX_KEY, ids, timeout=None)
        finally:
            self.cache.delete(INDEX_LOCK)

    def instances(self, now: datetime, beat: float) -> list[Instance]:
        """The processes recorded and not gone."""
        ids = self.cache.get(INDEX_KEY) or ()
        found = self.cache.get_many([PREFIX + i for i in ids])
        instances = [Instance(**record) for record in found.values() if isinstance(record, dict)]
        return [i for i in instances if not _gone(i, now, beat)]

    def forget(self, instance_id: str) -> None:
        """Remove a process that stops (its index entry goes at the next join)."""
        self.cache.delete(PREFIX + instance_id)


class DatabaseStore:
    """Records as rows of ``healthdash_instance``: one upsert (``INSERT ... ON CONFLICT``) per beat."""

    def __init__(self, using: str = "default"):
        self.using = using
        self._beats = 0

    def record(self, me: Instance, beat: float) -> None:
        """Write `me` (one upsert), and every tenth beat delete the rows of processes gone for good."""
        rows = InstanceRow.objects.using(self.using)
        rows.bulk_create([InstanceRow(**asdict(me))], update_conflicts=True, unique_fields=["id"],
                         update_fields=["last_seen", "version"])
        self._beats += 1
        if self._beats % PRUNE_EVERY == 0:
            rows.filter(last_seen__lt=me.last_seen - timedelta(seconds=DROPPED_BEATS * beat)).delete()

    def instances(self, now: datetime, beat: float) -> list[Instance]:
        """The processes recorded and not gone."""
        since = now - timedelta(seconds=DROPPED_BEATS * beat)
        rows = InstanceRow.objects.using(self.using).filter(last_seen__gte=since)
        return [Instance(r.id, r.host, r.pid, r.version, r.started_at.astimezone(UTC), r.last_seen.astimezone(UTC))
                for r in rows]

    def forget(self, instance_id: str) -> None:
        """Remove a process that stops."""
        InstanceRow.objects.using(self.using).filter(pk=instance_id).delete()


def fleet_store() -> CacheStore | DatabaseStore:
    """Where the fleet's records live: the shared cache when there is one, else the database."""
    return CacheStore() if shared_cache() else DatabaseStore()


def now() -> datetime:
    """The current time, as records and states compare it."""
    return datetime.now(UTC)
