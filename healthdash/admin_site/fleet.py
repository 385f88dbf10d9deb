"""The admin health page's Fleet block: every process of the fleet with its version, state and last heartbeat.

Read from the same document ``/api/v1/health/fleet`` answers (`healthdash.fleet_api.fleet_document`); while
the fleet's store cannot be read, the block says so instead of showing an empty fleet.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthdash.admin_site.content import clock, when
from healthdash.fleet_api import FleetUnavailable, fleet_document

STATE_LABELS = {"live": "Live", "stale": "Stale"}


@dataclass(frozen=True)
class Process:
    """One row of the block."""

    id: str
    host: str
    pid: int
    version: str
    state: str
    state_label: str
    started_at: str
    started_text: str
    last_seen: str
    last_seen_text: str
    last_seen_clock: str


@dataclass(frozen=True)
class Fleet:
    """The block: its rows, or why there are none."""

    processes: tuple[Process, ...] = ()
    unavailable: str = ""

    @property
    def summary(self) -> str:
        """``4 processes on 2 hosts, 1 stale`` (what the caption's note says)."""
        hosts = len({p.host for p in self.processes})
        stale = sum(p.state == "stale" for p in self.processes)
        text = f"{len(self.processes)} process{'es' if len(self.processes) != 1 else ''} on {hosts} " \
               f"host{'s' if hosts != 1 else ''}"
        return text + (f", {stale} stale" if stale else "")


def fleet() -> Fleet:
    """The fleet as its processes last recorded themselves."""
    try:
        document = fleet_document()
    except FleetUnavailable as exc:
        return Fleet(unavailable=str(exc.detail))
    return Fleet(tuple(Process(
        e["id"], e["host"], e["pid"], e["version"], e["state"], STATE_LABELS.get(e["state"], e["state"]),
        e["started_at"], when(e["started_at"]), e["last_seen"], when(e["last_seen"]), clock(e["last_seen"]),
    ) for e in document["instances"]))
