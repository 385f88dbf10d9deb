"""A small latency chart per service: the geometry of an inline SVG sparkline, without any markup.

The admin page draws it on the server for the first paint, and ``static/healthdash/health.js``
draws it again with the same arithmetic when new results arrive: latencies are scaled from 0 to
the largest one, spread evenly over the width, the newest on the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 120
HEIGHT = 24
PAD = 2  # room for the markers at the edges


@dataclass(frozen=True)
class Marker:
    """A point worth a dot: a check that was not up, or the latest one."""

    x: float
    y: float
    status: str
    latest: bool


@dataclass(frozen=True)
class Sparkline:
    """The polyline's ``points``, the dots to draw and a text alternative for screen readers."""

    points: str
    markers: tuple[Marker, ...]
    label: str
    width: int = WIDTH
    height: int = HEIGHT


def sparkline(samples: Sequence[tuple[float, str]], width: int = WIDTH, height: int = HEIGHT) -> Sparkline:
    """The chart of `samples` (latency in ms, status), oldest first."""
    if not samples:
        return Sparkline("", (), "No checks yet", width, height)
    top = max(latency for latency, _ in samples)
    step = (width - 2 * PAD) / (len(samples) - 1) if len(samples) > 1 else 0.0
    coordinates = []
    for index, (latency, _) in enumerate(samples):
        x = PAD + index * step if len(samples) > 1 else width / 2
        y = height - PAD - (latency / top * (height - 2 * PAD) if top > 0 else 0.0)
        coordinates.append((round(x, 1), round(y, 1)))
    last = len(samples) - 1
    markers = tuple(
        Marker(x, y, status, index == last)
        for index, ((x, y), (_, status)) in enumerate(zip(coordinates, samples, strict=True))
        if status != "up" or index == last
    )
    points = " ".join(f"{x:g},{y:g}" for x, y in coordinates)
    return Sparkline(points, markers, describe(samples), width, height)


def describe(samples: Sequence[tuple[float, str]]) -> str:
    """``Latency of the last 12 checks: 0.4 to 2.1 ms, latest 1.2 ms; 1 not up``."""
    latencies = [latency for latency, _ in samples]
    count = len(samples)
    text = (f"Latency of the last {count} check{'s' if count != 1 else ''}: "
            f"{min(latencies):.1f} to {max(latencies):.1f} ms, latest {latencies[-1]:.1f} ms")
    not_up = sum(1 for _, status in samples if status != "up")
    return f"{text}; {not_up} not up" if not_up else text
