"""Per-request cost of request IDs and tracing: Django's WSGI handler called directly.

    .venv/bin/python -m bench.overhead [--rounds 30] [--number 1000] [--scenario generated]
    .venv/bin/python -m bench.overhead --instructions [--requests 1000]
    .venv/bin/python -m bench.overhead --profile "full stack, sampled"

Each row is a WSGIHandler with its own middleware stack in front of a trivial DRF view that
logs one line, built once. The handler is called directly, not through the test client, whose
own cost would hide a middleware's. Rounds interleave the rows in a new order each round, so a
noisy machine slows every row alike; a row's figure is its median over the rounds (with the
min-max), and its ratio to bare. ``--instructions`` counts CPU instructions per request of each
row under valgrind's callgrind instead: slow, but a busy machine cannot disturb it.
``--profile`` shows where one row's time goes (pyinstrument).

Sampled spans go through the real batch processor to an exporter that discards them, so the
figures are the request path's own cost, not the network's. Scenarios: ``generated`` (no
incoming ID) and ``incoming`` (a valid X-Request-ID).
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
from django.test.utils import override_settings  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.django import DjangoInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased  # noqa: E402
from opentelemetry.util.http import parse_excluded_urls  # noqa: E402

from bench.wsgi_timing import Variant, call, environ, measure, table  # noqa: E402
from observability.conf import TracingConfig  # noqa: E402
from observability.log_filters import RequestContextFilter  # noqa: E402
from observability.tracing import middleware as tracing_middleware  # noqa: E402
from observability.tracing import sdk  # noqa: E402
from observability.tracing.processor import ProcessLocalBatchProcessor  # noqa: E402
from observability.tracing.setup import build_provider  # noqa: E402

REQUEST_ID = "observability.middleware.RequestIDMiddleware"
GUID = "django_guid.middleware.guid_middleware"
OFFICIAL = sdk.official_middleware_path()
OURS = tracing_middleware.MIDDLEWARE_PATH
BASELINE = "bare Django+DRF"
SCENARIOS = {
    "generated": {},
    "incoming": {"X-Request-ID": "3f1c9a2e-8d4b-4c6e-9a7f-0b5d2e1c4a8f"},
}
COMPARISONS = (
    ("RequestIDMiddleware vs bare", "RequestIDMiddleware", BASELINE),
    ("RequestIDMiddleware: added vs django-guid's added", "RequestIDMiddleware", "django-guid (defaults)"),
    ("request IDs + log filter vs bare", "request IDs + log filter", BASELINE),
    ("full stack sampled vs official instrumentation sampled", "full stack, sampled",
     "official instrumentation, sampled"),
    ("full stack unsampled vs official instrumentation unsampled", "full stack, unsampled",
     "official instrumentation, unsampled"),
    ("full stack tracing disabled vs request IDs alone", "full stack, tracing disabled", "request IDs + log filter"),
)


class DiscardingExporter(SpanExporter):
    """Accepts every batch and keeps nothing."""

    def export(self, spans):
        return SpanExportResult.SUCCESS

    def shutdown(self):
        pass


@dataclass
class Row:
    """One stack: its middleware and the process-wide tracing state it runs with."""

    name: str
    middleware: list[str]
    provider: TracerProvider | None = None  # the global and the instrumentation's tracer provider
    official_exclusions: bool = False  # the official middleware's own exclusion list, else ours
    log_filter: bool = False
    variant: Variant | None = None


def official_provider(rate: float) -> TracerProvider:
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(rate)), shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(DiscardingExporter()))
    return provider


def project_provider(rate: float) -> TracerProvider:
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=rate)
    processor = ProcessLocalBatchProcessor(config, exporter_factory=lambda _: DiscardingExporter())
    return build_provider(config, processor)


def rows() -> list[Row]:
    full = [OURS, REQUEST_ID]
    return [
        Row(BASELINE, []),
        Row("RequestIDMiddleware", [REQUEST_ID]),
        Row("request IDs + log filter", [REQUEST_ID], log_filter=True),
        Row("django-guid (defaults)", [GUID]),
        Row("official instrumentation, sampled", [OFFICIAL], official_provider(1.0), official_exclusions=True),
        Row("official instrumentation, unsampled", [OFFICIAL], official_provider(0.0), official_exclusions=True),
        Row("full stack, tracing disabled", [REQUEST_ID], log_filter=True),
        Row("full stack, unsampled", full, project_provider(0.0), log_filter=True),
        Row("full stack, sampled", full, project_provider(1.0), log_filter=True),
    ]


class Activator:
    """Puts the process-wide state (tracer provider, official middleware's class state, log
    filter) the way a row runs, before each of its rounds."""

    def __init__(self) -> None:
        DjangoInstrumentor().instrument(tracer_provider=trace.NoOpTracerProvider())  # class state, metrics
        settings.MIDDLEWARE = []  # each row brings its own
        tracing_middleware.TracingMiddleware.excluded_paths = tracing_middleware.compile_excluded(
            ("/health", "/health/ready"))
        self.handler = logging.getLogger().handlers[0]
        self.filter = RequestContextFilter()

    def __call__(self, row: Row) -> None:
        sdk.swap_global_tracer_provider(row.provider)  # benchmark only: the global is once-only
        provider = row.provider or trace.NoOpTracerProvider()
        sdk.OfficialDjangoMiddleware._tracer = provider.get_tracer("opentelemetry.instrumentation.django")
        setattr(sdk.OfficialDjangoMiddleware, sdk.EXCLUDED_URLS_ATTRIBUTE,
                parse_excluded_urls("/health,/health/ready" if row.official_exclusions else ""))
        if row.log_filter:
            self.handler.addFilter(self.filter)
        else:
            self.handler.removeFilter(self.filter)


def build() -> tuple[list[Row], Activator]:
    activate = Activator()
    table_rows = rows()
    for row in table_rows:
        activate(row)
        with override_settings(MIDDLEWARE=row.middleware):
            handler = WSGIHandler()
        row.variant = Variant(row.name, handler, before=lambda _row=row: activate(_row))
    return table_rows, activate


def wall_clock(args) -> None:
    table_rows, _ = build()
    for scenario in args.scenario:
        samples = measure([row.variant for row in table_rows], environ(headers=SCENARIOS[scenario]),
                          args.rounds, args.number)
        print(f"\n## {scenario}: µs per request, {args.rounds} rounds x {args.number} requests\n"
              f"{table(samples, BASELINE)}")
        compare({name: sorted(values)[len(values) // 2] for name, values in samples.items()}, "medians")


def compare(figures: dict[str, float], label: str) -> None:
    base = figures[BASELINE]
    for title, mine, reference in COMPARISONS:
        if "added" in title:
            ratio = (figures[mine] - base) / (figures[reference] - base)
        else:
            ratio = figures[mine] / figures[reference]
        print(f"{title}: {ratio:.3f} ({label})")


def run_requests(name: str, scenario: str, requests: int) -> None:
    """Child process of --instructions: warm one row up, then make `requests` requests."""
    table_rows, activate = build()
    row = next(row for row in table_rows if row.name == name)
    activate(row)
    template = environ(headers=SCENARIOS[scenario])
    for _ in range(300):
        call(row.variant.app, template)
    for _ in range(requests):
        call(row.variant.app, template)
    if row.provider is not None:
        row.provider.force_flush()  # the batch thread's share of the work is counted too


def instructions(name: str, scenario: str, requests: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.overhead", "--child", name, scenario, str(requests)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def instruction_counts(args) -> None:
    names = [row.name for row in rows()]
    for scenario in args.scenario:
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

    table_rows, activate = build()
    row = next(row for row in table_rows if row.name.startswith(args.profile))
    activate(row)
    template = environ(headers=SCENARIOS[args.scenario[0]])
    with Profiler(interval=0.0001) as profiler:
        for _ in range(args.number * 4):
            call(row.variant.app, template)
    print(profiler.output_text(color=False, show_all=args.profile_all))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=1000, help="requests per row per round")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: both")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--requests", type=int, default=1000, help="requests per row for --instructions")
    parser.add_argument("--profile", metavar="ROW", help="profile the row whose name starts with ROW")
    parser.add_argument("--profile-all", action="store_true", help="with --profile: show library frames too")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.scenario = args.scenario or list(SCENARIOS)
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
