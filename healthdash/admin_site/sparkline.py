"""A small latency chart per service: the geometry of an inline SVG sparkline, without any markup.

The admin page draws it on the server for the first paint, and ``static/healthdash/health.js``
draws it again with the same arithmetic when new results arrive: latencies are scaled from 0 to
the largest one, spread evenly over the width, the newest on the right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def sparkline(samples: Sequence[tuple[float, str]], width: int = WIDTH, height: int = HEIGHT,
              describe: Callable[[Sequence[tuple[float, str]]], str] | None = None,
              empty: str = "No checks yet") -> Sparkline:
    """The chart of `samples` (latency in ms, or another value, and a status), oldest first."""
    describe = describe_latencies if describe is None else describe
    if not samples:
        return Sparkline("", (), empty, width, height)
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


def describe_latencies(samples: Sequence[tuple[float, str]]) -> str:
    """``Latency of the last 12 checks: 0.4 to 2.1 ms, latest 1.2 ms; 1 not up``."""
    latencies = [latency for latency, _ in samples]
    count = len(samples)
    text = (f"Latency of the last {count} check{'s' if count != 1 else ''}: "
            f"{min(latencies):.1f} to {max(latencies):.1f} ms, latest {latencies[-1]:.1f} ms")
    not_up = sum(1 for _, status in samples if status != "up")
    return f"{text}; {not_up} not up" if not_up else text


def describe_rates(samples: Sequence[tuple[float, str]]) -> str:
    """``Requests per second between the last 5 refreshes: 0.0 to 3.1, latest 2.4; 1 with 5xx answers``."""
    rates = [rate for rate, _ in samples]
    count = len(samples)
    text = (f"Requests per second between the last {count} refresh{'es' if count != 1 else ''}: "
            f"{min(rates):.1f} to {max(rates):.1f}, latest {rates[-1]:.1f}")
    failing = sum(1 for _, status in samples if status != "up")
    return f"{text}; {failing} with 5xx answers" if failing else text
