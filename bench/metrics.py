"""What metrics cost: recording in-process (metrics on against off), and /metrics under gunicorn.

    .venv/bin/python -m bench.metrics [--rounds 30] [--number 1000] [--scrapes 50] [in_process] [scrape]
    .venv/bin/python -m bench.metrics --instructions [--requests 2000]

``in_process``: Django's WSGIHandler called directly (bench.wsgi_timing), the trivial DRF view
of bench.urls behind RequestIDMiddleware, with and without MetricsMiddleware, recording into
memory (one process), into prometheus_client's multiprocess files (as under gunicorn), and into
those files plus the OpenTelemetry SDK (OTLP push; the exporter never runs during the rounds).
Rows interleave; each figure is the median over rounds, the cost is the median's difference to
"metrics off". ``scrape``: gunicorn with 2 workers serving 50 routes, each requested by both
workers, then ``/metrics`` timed from a client on 127.0.0.1 (median and p95 of the scrapes),
beside ``/health`` on the same server.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.wsgi_timing import Variant, call, environ, measure, medians, table  # noqa: E402
from observability.metrics import recording  # noqa: E402
from observability.metrics.configuration import MetricsConfig  # noqa: E402
from observability.metrics.instruments import ACTIVE_REQUESTS, REQUEST_DURATION  # noqa: E402
from observability.metrics.middleware import MIDDLEWARE_PATH  # noqa: E402
from observability.metrics.otlp import OTLPBackend  # noqa: E402
from observability.metrics.prometheus import PrometheusBackend  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REQUEST_ID = "observability.middleware.RequestIDMiddleware"
OFF = "metrics off (request IDs only)"
KEY = "bench-metrics-key-0123456789abcdef"
ROUTES = 50
ROUTE = "/bench/items/<int:pk>/"  # the route of bench.urls's view, as the middleware labels it


def in_process(args) -> None:
    backends = recording_backends()
    variants = []
    for name, installed in backends.items():
        with override_settings(MIDDLEWARE=[REQUEST_ID] + ([MIDDLEWARE_PATH] if installed else [])):
            handler = WSGIHandler()
        variants.append(Variant(name, handler, before=lambda chosen=installed: recording.install(chosen)))
    samples = measure(variants, environ(), args.rounds, args.number)
    print(f"\n## in-process: µs per request, {args.rounds} rounds x {args.number} requests\n{table(samples, OFF)}")
    cpu = medians(samples, "cpu")
    for name in list(backends)[1:]:
        print(f"{name}: +{cpu[name] - cpu[OFF]:.1f} µs CPU time per request (target at most 10)")
    recording_alone(backends, args)


def recording_alone(backends: dict[str, list], args) -> None:
    """What MetricsMiddleware records per request, timed without Django around it: the cost itself."""
    samples: dict[str, list[float]] = {name: [] for name in backends}
    for _ in range(args.rounds):
        for name, installed in random.sample(list(backends.items()), len(backends)):
            recording.install(installed)
            started = time.perf_counter()
            for _ in range(args.number):
                ACTIVE_REQUESTS.add(1, "GET")
                ACTIVE_REQUESTS.add(-1, "GET")
                REQUEST_DURATION.record(0.004, "GET", ROUTE, "200")
            samples[name].append((time.perf_counter() - started) / args.number * 1e6)
    print("\n## the recording alone (2 active-request updates, 1 duration), µs per request, median of rounds")
    for name, values in samples.items():
        print(f"{name:<44} {statistics.median(values):>7.2f}  (min {min(values):.2f}, max {max(values):.2f})")


def recording_backends() -> dict[str, list]:
    # A folder switches prometheus_client to files for every series made after it: the in-memory
    # row's series are made first, by recording the labels the rows record.
    memory = PrometheusBackend(None)
    memory.bind(ACTIVE_REQUESTS)(0, ("GET",))
    memory.bind(REQUEST_DURATION)(0.004, ("GET", ROUTE, "200"))
    folder = tempfile.mkdtemp(prefix="bench-metrics-")
    otlp_config = MetricsConfig(exporters=("prometheus", "otlp"), endpoint="http://127.0.0.1:9", export_interval=3600)
    return {
        OFF: [],
        "metrics on, in memory": [memory],
        "metrics on, multiprocess files": [PrometheusBackend(folder)],
        "metrics on, files + OTLP SDK": [PrometheusBackend(folder), OTLPBackend(otlp_config)],
    }


def record_requests(name: str, count: int) -> None:
    """Child process of --instructions: warm up, then record `count` requests into row `name`'s backends."""
    recording.install(recording_backends()[name])
    for number in range(200 + count):
        ACTIVE_REQUESTS.add(1, "GET")
        ACTIVE_REQUESTS.add(-1, "GET")
        REQUEST_DURATION.record(0.004 + number % 7 / 1000, "GET", ROUTE, "200")


def serve_requests(name: str, count: int) -> None:
    """Child process of --instructions: warm up, then serve `count` whole requests with row `name`'s handler."""
    installed = recording_backends()[name]
    with override_settings(MIDDLEWARE=[REQUEST_ID] + ([MIDDLEWARE_PATH] if installed else [])):
        handler = WSGIHandler()
    recording.install(installed)
    template = environ()
    for _ in range(200 + count):
        call(handler, template)


def instructions(args) -> None:
    """CPU instructions per request (callgrind): what a busy machine cannot disturb. The recording
    alone, and whole requests through Django with and without MetricsMiddleware."""
    def count(part: str, name: str, requests: int) -> int:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
                   "bench.metrics", "--child", part, name, str(requests)]
        result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT,
                                env={**os.environ, "PYTHONHASHSEED": "0"})
        return int(re.search(r"Collected : (\d+)", result.stderr).group(1))
    for part, title in (("record", "the recording alone"), ("request", "whole requests (WSGI handler)")):
        print(f"\n## {title}, CPU instructions per request (callgrind, {args.requests} requests)")
        base = None
        for name in recording_backends():
            per_request = (count(part, name, args.requests) - count(part, name, 0)) / args.requests
            base = per_request if base is None else base
            print(f"{name:<48} {per_request:>10.0f} {per_request - base:>+10.0f}")


def scrape(args) -> None:
    from tests.support.processes import Gunicorn, http_get, project_env

    env = project_env(DJANGO_SETTINGS_MODULE="bench.metrics_settings", WEB_CONCURRENCY="2", CHIMERA_API_KEYS=KEY,
                      LOG_LEVEL="WARNING")
    work = Path(tempfile.mkdtemp(prefix="bench-metrics-scrape-"))
    with Gunicorn(env=env, log_dir=work, args=["--access-logfile", "/dev/null"]) as server:
        for number in range(ROUTES):
            for _ in range(4):  # a new connection each: both workers record every route
                http_get(f"{server.url}/r{number}/7", headers={"Connection": "close"})
        status, _, body = http_get(server.url + "/metrics", headers={"X-API-Key": KEY})
        assert status == 200, body
        series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
        timings = {"/metrics": [], "/health": []}
        for _ in range(args.scrapes):
            for path, headers in (("/metrics", {"X-API-Key": KEY}), ("/health", {})):
                started = time.perf_counter()
                assert http_get(server.url + path, headers={"Connection": "close", **headers})[0] == 200
                timings[path].append((time.perf_counter() - started) * 1000)
    print(f"\n## /metrics: 2 workers, {ROUTES} routes, {series} series, {len(body) // 1024} KiB, "
          f"{args.scrapes} scrapes")
    for path, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{path:<10} median {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   max {values[-1]:6.1f} ms")
    print("target: /metrics under 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=["in_process", "scrape", []], default=[])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=1000, help="requests per row per round")
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--instructions", action="store_true", help="count the recording's CPU instructions")
    parser.add_argument("--requests", type=int, default=2000, help="requests per row for --instructions")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        part, name, count = args.child
        (record_requests if part == "record" else serve_requests)(name, int(count))
        return
    if args.instructions:
        instructions(args)
        return
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}", file=sys.stderr)
    for part in args.parts or ["in_process", "scrape"]:
        {"in_process": in_process, "scrape": scrape}[part](args)


if __name__ == "__main__":
    main()
