"""Per-request cost of request IDs and tracing: Django's WSGI handler called directly.

    .venv/bin/python -m bench.overhead [--rounds 30] [--number 1000] [--scenario generated]
    .venv/bin/python -m bench.overhead --instructions [--requests 1000]
    .venv/bin/python -m bench.overhead --profile "full stack, sampled"

Each row is a WSGIHandler with its own middleware stack in front of a trivial DRF view that
logs one line (scenario ``queries``: a view making three queries), built once. The handler is
called directly, not through the test client, whose own cost would hide a middleware's. Rounds
interleave the rows in a new order each round, so a noisy machine slows every row alike; a
row's figures are medians over the rounds. The first figure is the process's CPU time per
request, the batch thread's exports and a flush at the end of each round included; wall time
is shown beside it, and the tail (p50, p99, p99.9, max) over every request of every round.
``--instructions`` counts CPU instructions per request of each row under valgrind's callgrind
instead: slow, but a busy machine cannot disturb it. ``--profile`` shows where one row's time
goes (pyinstrument).

Every traced row uses the project's provider and batch processor, exporting to an exporter
that encodes each batch as the OTLP exporters do and drops it (``bench.floor``), so the
figures are the request path's and the export thread's own cost, not the network's. The floor
rows are the least a server span costs on that SDK (``bench.floor.FloorMiddleware``); the
targets compare the full stack's added cost with the floor's. Scenarios: ``generated`` (no
incoming ID), ``incoming`` (a valid X-Request-ID), ``queries`` (three SQLite queries, whose
spans the full stack records when sampled) and ``query`` (a query string, whose values a
sampled span's attributes mask).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.django import DjangoInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

from bench.floor import EncodingExporter, FloorMiddleware, provider  # noqa: E402
from bench.wsgi_timing import Variant, call, environ, measure, medians, table  # noqa: E402
from observability.excluded_urls import compile_excluded  # noqa: E402
from observability.log_filters import RequestContextFilter  # noqa: E402
from observability.timing import time_query  # noqa: E402
from observability.tracing import middleware as tracing_middleware  # noqa: E402
from observability.tracing import sdk  # noqa: E402
from observability.tracing.datastores import QueryTracer  # noqa: E402

REQUEST_ID = "observability.middleware.RequestIDMiddleware"
GUID = "django_guid.middleware.guid_middleware"
OFFICIAL = sdk.official_middleware_path()
OURS = tracing_middleware.MIDDLEWARE_PATH
FLOOR = "bench.floor.FloorMiddleware"
BASELINE = "bare Django+DRF"
EXCLUDED = ("/health", "/health/ready")
ONLY: tuple[str, ...] = ()  # --row: the rows to run (bare always runs)
SCENARIOS = {
    "generated": ("/bench/items/7/", {}),
    "incoming": ("/bench/items/7/", {"X-Request-ID": "3f1c9a2e-8d4b-4c6e-9a7f-0b5d2e1c4a8f"}),
    "queries": ("/bench/queries/", {}),
    # A query string: a sampled span's attributes then have query values to mask.
    "query": ("/bench/items/7/?page=2&api_key=k-5150-abcdef&lang=en", {}),
}
# (title, row, reference): a ratio of CPU times; "added" ones divide what each adds to bare.
COMPARISONS = (
    ("TARGET unsampled: full stack's added vs the floor's added (at most 1.5)", "full stack, unsampled",
     "floor, unsampled"),
    ("TARGET sampled: full stack's added vs the floor's added (at most 1.5)", "full stack, sampled", "floor, sampled"),
    ("RequestIDMiddleware: added vs django-guid's added", "RequestIDMiddleware", "django-guid (defaults)"),
    ("full stack sampled vs official instrumentation sampled", "full stack, sampled",
     "official instrumentation, sampled"),
    ("full stack unsampled vs official instrumentation unsampled", "full stack, unsampled",
     "official instrumentation, unsampled"),
    ("full stack tracing disabled vs request IDs alone", "full stack, tracing disabled", "request IDs + log filter"),
)


@dataclass
class Row:
    """One stack: its middleware and the process-wide state it runs with."""

    name: str
    middleware: list[str]
    provider: TracerProvider | None = None  # the global provider and the middleware's
    log_filter: bool = False
    queries: str = "none"  # what the connection's execute wrappers do: none, timed, traced
    variant: Variant | None = None


def rows(scenario: str) -> list[Row]:
    full = [OURS, REQUEST_ID]
    everything = [
        Row(BASELINE, []),
        Row("RequestIDMiddleware", [REQUEST_ID], queries="timed"),
        Row("request IDs + log filter", [REQUEST_ID], log_filter=True, queries="timed"),
        Row("django-guid (defaults)", [GUID]),
        Row("official instrumentation, sampled", [OFFICIAL], provider(1.0)),
        Row("official instrumentation, unsampled", [OFFICIAL], provider(0.0)),
        Row("floor, sampled", [FLOOR], provider(1.0)),
        Row("floor, unsampled", [FLOOR], provider(0.0)),
        Row("full stack, tracing disabled", [REQUEST_ID], log_filter=True, queries="timed"),
        Row("full stack, unsampled", full, provider(0.0), log_filter=True, queries="traced"),
        Row("full stack, sampled", full, provider(1.0, exporter=EncodingExporter()), log_filter=True,
            queries="traced"),
        Row("full stack, sampled, sliced export", full, provider(1.0, exporter=EncodingExporter(sliced=True)),
            log_filter=True, queries="traced"),
    ]
    if scenario == "queries":  # what the queries cost: against bare, the floor and request IDs alone
        keep = {BASELINE, "full stack, tracing disabled", "floor, sampled", "floor, unsampled",
                "full stack, unsampled", "full stack, sampled"}
        everything = [row for row in everything if row.name in keep]
    if ONLY:
        everything = [row for row in everything if row.name == BASELINE or row.name.startswith(ONLY)]
    return everything


class Activator:
    """Puts the process-wide state (global tracer provider, official middleware's class state, log
    filter, the connection's execute wrappers) the way a row runs, before each of its rounds."""

    def __init__(self) -> None:
        DjangoInstrumentor().instrument(tracer_provider=trace.NoOpTracerProvider())  # class state, meters
        settings.MIDDLEWARE = []  # each row brings its own
        self.handler = logging.getLogger().handlers[0]
        self.filter = RequestContextFilter()
        self.semconv = sdk.http_semconv()[0]

    def __call__(self, row: Row) -> None:
        sdk.swap_global_tracer_provider(row.provider)  # benchmark only: the global is once-only
        tracer = (row.provider or trace.NoOpTracerProvider()).get_tracer(tracing_middleware.SCOPE_NAME)
        sdk.configure_official_middleware(tracer, ",".join(EXCLUDED))
        FloorMiddleware.tracer = tracer
        excluded = compile_excluded(EXCLUDED)
        tracing_middleware.install(
            tracing_middleware.Tracing(tracer, excluded, self.semconv, row.provider) if row.provider else None)
        if row.log_filter:
            self.handler.addFilter(self.filter)
        else:
            self.handler.removeFilter(self.filter)
        wrappers = {"none": [], "timed": [time_query],
                    "traced": [time_query, QueryTracer(connection, row.provider, statements=True)]}
        connection.execute_wrappers[:] = wrappers[row.queries] if row.queries != "traced" or row.provider else []


def build(scenario: str) -> tuple[list[Row], Activator]:
    activate = Activator()
    table_rows = rows(scenario)
    for row in table_rows:
        activate(row)
        with override_settings(MIDDLEWARE=row.middleware):
            handler = WSGIHandler()
        row.variant = Variant(row.name, handler, before=lambda _row=row: activate(_row),
                              flush=row.provider.force_flush if row.provider else None)
    return table_rows, activate


def template(scenario: str) -> dict:
    path, headers = SCENARIOS[scenario]
    return environ(path, headers)


def wall_clock(args) -> None:
    for scenario in args.scenario:
        table_rows, _ = build(scenario)
        samples = measure([row.variant for row in table_rows], template(scenario), args.rounds, args.number)
        print(f"\n## {scenario}: per request (µs), {args.rounds} rounds x {args.number} requests, interleaved; "
              f"CPU time includes the export thread and a flush each round\n{table(samples, BASELINE)}")
        compare(medians(samples, "cpu"), "CPU time")
        compare(medians(samples, "wall"), "wall time")
        holds(table_rows)


def holds(table_rows: list[Row]) -> None:
    """How long the export thread works without a pause (CPU µs): what a request thread may wait for."""
    for row in table_rows:
        exporter = getattr(row.provider, "bench_exporter", None)
        if exporter is not None and exporter.holds:
            ordered = sorted(exporter.holds)
            print(f"export thread, {row.name}: {len(ordered)} pieces of work, CPU µs p50 "
                  f"{ordered[len(ordered) // 2]:.0f}, p99 {ordered[int(len(ordered) * 0.99)]:.0f}, "
                  f"max {ordered[-1]:.0f}")


def compare(figures: dict[str, float], label: str) -> None:
    base = figures[BASELINE]
    for title, mine, reference in COMPARISONS:
        if mine not in figures or reference not in figures:
            continue
        if "added" in title:
            ratio = (figures[mine] - base) / (figures[reference] - base)
        else:
            ratio = figures[mine] / figures[reference]
        print(f"{title}: {ratio:.2f} ({label})")


def run_requests(name: str, scenario: str, requests: int) -> None:
    """Child process of --instructions: warm one row up, then make `requests` requests."""
    table_rows, activate = build(scenario)
    row = next(row for row in table_rows if row.name == name)
    activate(row)
    request = template(scenario)
    for _ in range(300):
        call(row.variant.app, request)
    if row.provider is not None:
        row.provider.force_flush()
    for _ in range(requests):
        call(row.variant.app, request)
    if row.provider is not None:
        row.provider.force_flush()  # the batch thread's share of the work is counted too


def instructions(name: str, scenario: str, requests: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.overhead", "--child", name, scenario, str(requests), *(f"--row={row}" for row in ONLY)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def instruction_counts(args) -> None:
    for scenario in args.scenario:
        names = [row.name for row in rows(scenario)]
        # N requests minus none: start-up and warm-up cancel out.
        counts = {name: (instructions(name, scenario, args.requests) - instructions(name, scenario, 0))
                  / args.requests for name in names}
        print(f"\n## {scenario}: instructions per request ({args.requests} requests)\n"
              f"{'variant':<48} {'instructions':>12} {'ratio':>7}")
        for name, count in counts.items():
            print(f"{name:<48} {count:>12,.0f} {count / counts[BASELINE]:>7.3f}")
        compare(counts, "instructions")


def profile(args) -> None:
    from pyinstrument import Profiler

    table_rows, activate = build(args.scenario[0])
    row = next(row for row in table_rows if row.name.startswith(args.profile))
    activate(row)
    request = template(args.scenario[0])
    with Profiler(interval=0.0001) as profiler:
        for _ in range(args.number * 4):
            call(row.variant.app, request)
        if row.provider is not None:
            row.provider.force_flush()
    print(profiler.output_text(color=False, show_all=args.profile_all))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=1000, help="requests per row per round")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: generated and queries")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--requests", type=int, default=1000, help="requests per row for --instructions")
    parser.add_argument("--profile", metavar="ROW", help="profile the row whose name starts with ROW")
    parser.add_argument("--profile-all", action="store_true", help="with --profile: show library frames too")
    parser.add_argument("--row", action="append", default=[], help="only the rows whose name starts with ROW")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global ONLY
    ONLY = tuple(args.row)
    args.scenario = args.scenario or ["generated", "queries"]
    if args.child:
        run_requests(args.child[0], args.child[1], int(args.child[2]))
        return
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}", file=sys.stderr)
    if args.profile:
        profile(args)
    elif args.instructions:
        instruction_counts(args)
    else:
        wall_clock(args)


if __name__ == "__main__":
    main()
