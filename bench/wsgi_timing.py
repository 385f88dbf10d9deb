"""Timing WSGI handlers called directly, in interleaved rounds, as ratios to a baseline.

Calling the handler directly (not the test client, whose own cost would hide a middleware's)
and interleaving the variants within each round spreads the machine's noise over all of them.
"""

from __future__ import annotations

import gc
import io
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class Variant:
    """One row of the table: a name, a WSGI application, and what to do before its rounds."""

    name: str
    app: Callable
    before: Callable[[], None] | None = None


def environ(path: str = "/bench/items/7/", headers: dict[str, str] | None = None) -> dict:
    """A minimal WSGI environ for a GET of `path`."""
    env = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
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


def measure(variants: Sequence[Variant], template: dict, rounds: int, number: int) -> dict[str, list[float]]:
    """µs per request of each variant, one sample per round, variants shuffled every round."""
    for variant in variants:  # warm up caches, imports, lazy middleware set-up
        if variant.before:
            variant.before()
        for _ in range(200):
            call(variant.app, template)
    samples: dict[str, list[float]] = {variant.name: [] for variant in variants}
    order = list(variants)
    for _ in range(rounds):
        random.shuffle(order)
        for variant in order:
            if variant.before:
                variant.before()
            gc.collect()
            gc.disable()  # a collection would land on whichever variant happens to run
            try:
                started = time.perf_counter()
                for _ in range(number):
                    call(variant.app, template)
                samples[variant.name].append((time.perf_counter() - started) / number * 1e6)
            finally:
                gc.enable()
    return samples


def table(samples: dict[str, list[float]], baseline: str) -> str:
    """Median, min-max and ratio of medians to `baseline`, one line per variant."""
    base = statistics.median(samples[baseline])
    lines = [f"{'variant':<48} {'median µs':>10} {'min-max µs':>17} {'ratio':>7}"]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(f"{name:<48} {median:>10.1f} {min(values):>8.1f}-{max(values):<8.1f} {median / base:>7.3f}")
    return "\n".join(lines)
