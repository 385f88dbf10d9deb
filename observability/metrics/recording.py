"""Instruments and how a value reaches the configured backends.

An ``Instrument`` is declared once, at import, with its OpenTelemetry semantic-convention name,
unit and attributes; recording it (``record()`` for histograms and gauges, ``add()`` for
counters) calls one function per backend that the configuration needs: the Prometheus files
behind ``/metrics``, the OpenTelemetry SDK that pushes OTLP, both, or none. Each instrument
binds those functions on first use and again when the backends change, so a recording is a
few dictionary lookups; with metrics off it is a loop over nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Backend", "Instrument", "before_scrape", "built", "install", "install_later", "installed", "scraping"]

logger = logging.getLogger(__name__)

Record = Callable[[float, tuple[str, ...]], None]

# Units spelled out in Prometheus names, as an OpenTelemetry Collector writes them; units in
# braces ({request}) are annotations and add nothing.
UNIT_SUFFIXES = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}
KINDS = frozenset({"histogram", "counter", "updown_counter", "gauge"})


class Backend(Protocol):
    """Where values go: gives each instrument the function that records one value with its labels."""

    def bind(self, instrument: Instrument) -> Record:
        """The function recording `instrument`'s values."""


# What records a value right before /metrics is read, by key: a state this process knows (draining,
# maintenance), and counters shown at 0 before anything happened, so alerts and panels find a series.
_scrape_hooks: dict[str, Callable[[], None]] = {}


def before_scrape(key: str, hook: Callable[[], None]) -> None:
    """Run `hook` in the process answering each scrape, before the values are read; `key` keeps it once."""
    _scrape_hooks[key] = hook


def scraping() -> None:
    """Run the scrape hooks; one that fails is logged and the scrape goes on."""
    for key, hook in list(_scrape_hooks.items()):
        try:
            hook()
        except Exception:
            logger.exception("The %s metrics were not brought up to date before a scrape.", key)


@dataclass(frozen=True)
class _Backends:
    generation: int = 0
    backends: tuple[Backend, ...] | None = ()  # None: `factory` builds them when first needed
    factory: Callable[[], Sequence[Backend]] | None = None


_current = _Backends()
_lock = threading.RLock()


def install(backends: Sequence[Backend]) -> None:
    """Record every instrument into `backends` from now on (an empty list: record nothing)."""
    global _current
    with _lock:
        _current = _Backends(_current.generation + 1, tuple(backends))


def install_later(factory: Callable[[], Sequence[Backend]]) -> None:
    """Record into what `factory` returns, built when a value is next recorded (settings may still change)."""
    global _current
    with _lock:
        _current = _Backends(_current.generation + 1, None, factory)


def built() -> tuple[Backend, ...]:
    """The backends built so far, without building any that are still to come."""
    return _current.backends or ()


def installed() -> tuple[Backend, ...]:
    """The backends values go to now."""
    global _current
    current = _current
    if current.backends is None:
        with _lock:
            if _current.backends is None:
                _current = _Backends(_current.generation, tuple(_current.factory()))
            current = _current
    return current.backends


@dataclass(frozen=True, eq=False)
class Instrument:
    """One metric: OpenTelemetry's name, kind, unit and attribute names; Prometheus's names derived."""

    name: str  # http.server.request.duration
    kind: str  # histogram, counter, updown_counter or gauge
    unit: str  # UCUM, as OpenTelemetry writes it: s, {request}
    description: str
    attributes: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()  # histograms: upper bounds, in the instrument's unit
    # How /metrics combines the processes' values of a gauge: livesum (a dead process drops out),
    # livemax (the largest of the live processes') or mostrecent (the latest of any process, dead or alive).
    aggregation: str = "livesum"
    _bound: list = field(default_factory=lambda: [-1, ()], init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {', '.join(sorted(KINDS))}, not {self.kind!r}.")

    @property
    def prometheus_name(self) -> str:
        """``http_server_request_duration_seconds``; counters get ``_total`` when exposed."""
        base = self.name.replace(".", "_")
        suffix = UNIT_SUFFIXES.get(self.unit)
        return f"{base}_{suffix}" if suffix and not base.endswith(f"_{suffix}") else base

    @property
    def prometheus_labels(self) -> tuple[str, ...]:
        """The attribute names as Prometheus labels: ``http_request_method``."""
        return tuple(name.replace(".", "_") for name in self.attributes)

    def record(self, value: float, *labels: str) -> None:
        """A histogram's observation or a gauge's new value, with one label value per attribute."""
        for function in self._functions():
            function(value, labels)

    def add(self, amount: float = 1.0, *labels: str) -> None:
        """Add `amount` to a counter (never negative) or an up-down counter."""
        for function in self._functions():
            function(amount, labels)

    def _functions(self) -> tuple[Record, ...]:
        bound = self._bound
        if bound[0] != _current.generation:
            with _lock:
                generation, backends = _current.generation, installed()
                bound[1] = tuple(backend.bind(self) for backend in backends)
                bound[0] = generation
        return bound[1]
