"""Timing WSGI handlers called directly, in interleaved rounds, as ratios to a baseline.

Calling the handler directly (not the test client, whose own cost would hide a middleware's)
and interleaving the variants within each round spreads the machine's noise over all of them.
Each round records the wall time and the process's CPU time per request, the CPU time
including the batch thread's exports and a final flush (wall time alone favours large batches,
whose export falls after the timed loop), and every request's own latency, for the tail.
"""

from __future__ import annotations

import gc
import io
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Variant:
    """One row of the table: a name, a WSGI application, what to do before its rounds, and how
    to flush what it buffered (a tracer provider's force_flush)."""

    name: str
    app: Callable
    before: Callable[[], None] | None = None
    flush: Callable[[], object] | None = None


@dataclass
class Samples:
    """One variant's measurements: µs per request of each round, and every request's latency."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)  # ns

    def percentile(self, share: float) -> float:
        """The latency (µs) below which `share` of the requests fell."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] / 1000


def environ(path: str = "/bench/items/7/", headers: dict[str, str] | None = None) -> dict:
    """A minimal WSGI environ for a GET of `path` (with its query string, if any)."""
    path, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def _start_response(status, headers, exc_info=None):
    return None


def call(app: Callable, template: dict) -> None:
    """One request as a server makes it: call, consume the body, close."""
    env = dict(template)
    env["wsgi.input"] = io.BytesIO(b"")
    result = app(env, _start_response)
    for _chunk in result:
        pass
    result.close()


def _round(variant: Variant, template: dict, number: int, samples: Samples) -> None:
    clock, cpu, latencies = time.perf_counter_ns, time.process_time_ns, samples.latencies
    wall_started, cpu_started = clock(), cpu()
    for _ in range(number):
        started = clock()
        call(variant.app, template)
        latencies.append(clock() - started)
    wall = clock() - wall_started
    if variant.flush:
        variant.flush()
    samples.wall.append(wall / number / 1000)
    samples.cpu.append((cpu() - cpu_started) / number / 1000)


def measure(variants: Sequence[Variant], template: dict, rounds: int, number: int) -> dict[str, Samples]:
    """Samples of each variant, one per round, variants shuffled every round."""
    for variant in variants:  # warm up caches, imports, lazy middleware set-up
        if variant.before:
            variant.before()
        for _ in range(200):
            call(variant.app, template)
        if variant.flush:
            variant.flush()
    samples = {variant.name: Samples() for variant in variants}
    order = list(variants)
    for _ in range(rounds):
        random.shuffle(order)
        for variant in order:
            if variant.before:
                variant.before()
            gc.collect()
            gc.disable()  # a collection would land on whichever variant happens to run
            try:
                _round(variant, template, number, samples[variant.name])
            finally:
                gc.enable()
    return samples


def medians(samples: dict[str, Samples], kind: str) -> dict[str, float]:
    """The median over rounds of `kind` (``wall`` or ``cpu``) for each variant."""
    return {name: statistics.median(getattr(s, kind)) for name, s in samples.items()}


def table(samples: dict[str, Samples], baseline: str) -> str:
    """Per row: CPU and wall µs (medians of rounds, CPU's min-max), ratios to `baseline`, the added
    CPU µs, and the latency percentiles over every request."""
    cpu, wall = medians(samples, "cpu"), medians(samples, "wall")
    lines = [f"{'variant':<44} {'cpu µs':>7} {'min-max':>13} {'x bare':>6} {'added':>6} {'wall µs':>7} "
             f"{'x bare':>6} {'p50':>6} {'p99':>6} {'p99.9':>7} {'max':>7}"]
    for name, s in samples.items():
        lines.append(
            f"{name:<44} {cpu[name]:>7.1f} {min(s.cpu):>6.1f}-{max(s.cpu):<6.1f} {cpu[name] / cpu[baseline]:>6.2f} "
            f"{cpu[name] - cpu[baseline]:>+6.1f} {wall[name]:>7.1f} {wall[name] / wall[baseline]:>6.2f} "
            f"{s.percentile(0.5):>6.0f} {s.percentile(0.99):>6.0f} {s.percentile(0.999):>7.0f} "
            f"{max(s.latencies) / 1000:>7.0f}")
    return "\n".join(lines)
