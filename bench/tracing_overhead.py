"""What tracing costs per request: the WSGI handler called directly, rows measured side by side.

    .venv/bin/python -m bench.tracing_overhead [--rounds 40] [--requests 500]

Each row is a Django WSGIHandler with its own middleware stack, built once. Rounds interleave
the rows (in a shuffled order each round) so a noisy machine slows every row alike; a row's
figure is its median over the rounds, in microseconds per request, with its ratio to the bare
stack. Spans go through a batch processor to an exporter that discards them, so the figures are
the request path's own cost, not the network's. Add a row by adding a ``Row`` to ``rows()``.
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.tracing_settings")

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import override_settings  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.django import DjangoInstrumentor  # noqa: E402
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased  # noqa: E402
from opentelemetry.util.http import parse_excluded_urls  # noqa: E402

from observability import tracing, tracing_middleware  # noqa: E402
from observability.conf import TracingConfig  # noqa: E402
from observability.log_filters import RequestContextFilter  # noqa: E402
from observability.span_processor import ProcessLocalBatchProcessor  # noqa: E402

OFFICIAL = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
OURS = tracing_middleware.MIDDLEWARE_PATH
REQUEST_IDS = "observability.middleware.RequestIDMiddleware"
ENVIRON = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/bench/items/7/", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000",
    "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
    "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
}


class DiscardingExporter(SpanExporter):
    """Accepts every batch and keeps nothing."""

    def export(self, spans):
        return SpanExportResult.SUCCESS

    def shutdown(self):
        pass


@dataclass
class Row:
    """One stack: middleware in front of the bare ones, and the tracing state it runs with."""

    name: str
    middleware: list[str]
    provider: object | None = None  # the global and the instrumentation's tracer provider
    official_exclusions: bool = False  # the official middleware's own exclusion list, else ours
    log_filter: bool = False
    handler: WSGIHandler | None = None
    timings: list[float] = field(default_factory=list)


def official_provider(rate: float) -> TracerProvider:
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(rate)), shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(DiscardingExporter()))
    return provider


def project_provider(rate: float) -> TracerProvider:
    config = TracingConfig(enabled=True, exporter_type="console", endpoint=None, sample_rate=rate)
    processor = ProcessLocalBatchProcessor(config, exporter_factory=lambda _: DiscardingExporter())
    return tracing.build_provider(config, processor)


def rows() -> list[Row]:
    """The stacks compared; each has the project's usual Django middleware behind it."""
    full = [OURS, REQUEST_IDS]
    return [
        Row("bare (Django middleware only)", []),
        Row("official instrumentation, sampled", [OFFICIAL], official_provider(1.0), official_exclusions=True),
        Row("official instrumentation, unsampled", [OFFICIAL], official_provider(0.0), official_exclusions=True),
        Row("project tracing, sampled", [OURS], project_provider(1.0)),
        Row("project tracing, unsampled", [OURS], project_provider(0.0)),
        Row("project tracing, disabled", []),
        Row("request IDs + log filter alone", [REQUEST_IDS], log_filter=True),
        Row("full stack, sampled", full, project_provider(1.0), log_filter=True),
        Row("full stack, unsampled", full, project_provider(0.0), log_filter=True),
        Row("full stack, tracing disabled", [REQUEST_IDS], log_filter=True),
    ]


def activate(row: Row, log_handler: logging.Handler, log_filter: RequestContextFilter) -> None:
    """Put the process-wide tracing state the way `row` runs."""
    trace._TRACER_PROVIDER = row.provider  # bench only: swaps the once-only global
    tracer_provider = row.provider or trace.NoOpTracerProvider()
    _DjangoMiddleware._tracer = tracer_provider.get_tracer("opentelemetry.instrumentation.django")
    _DjangoMiddleware._excluded_urls = parse_excluded_urls("/health,/health/ready" if row.official_exclusions else "")
    if row.log_filter:
        log_handler.addFilter(log_filter)
    else:
        log_handler.removeFilter(log_filter)


def build(row: Row, bare: list[str], log_handler, log_filter) -> None:
    activate(row, log_handler, log_filter)
    with override_settings(MIDDLEWARE=row.middleware + bare):
        row.handler = WSGIHandler()


def run(handler: WSGIHandler, requests: int) -> float:
    """Seconds for `requests` requests."""
    def start_response(status, headers, exc_info=None):
        return None

    gc.collect()
    gc.disable()  # a collection would land on whichever row happens to run
    try:
        started = time.perf_counter()
        for _ in range(requests):
            environ = dict(ENVIRON)
            response = handler(environ, start_response)
            for _ in response:
                pass
            response.close()
        return time.perf_counter() - started
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", metavar="ROW", help="profile the row whose name starts with ROW instead")
    args = parser.parse_args()

    from django.conf import settings

    bare = [path for path in settings.MIDDLEWARE if path not in (REQUEST_IDS, OURS, OFFICIAL)]
    DjangoInstrumentor().instrument(tracer_provider=trace.NoOpTracerProvider())  # class state, metrics
    settings.MIDDLEWARE = bare  # rows choose their own middleware
    excluded = tracing_middleware.compile_excluded(("/health", "/health/ready"))
    tracing_middleware.TracingMiddleware.excluded_paths = excluded
    log_handler = logging.getLogger("bench").handlers[0]
    log_filter = RequestContextFilter()
    table = rows()
    for row in table:
        build(row, bare, log_handler, log_filter)
        activate(row, log_handler, log_filter)
        run(row.handler, 200)  # warm up
    if args.profile:
        profile(next(row for row in table if row.name.startswith(args.profile)), args, log_handler, log_filter)
        return
    for _ in range(args.rounds):
        for row in random.sample(table, len(table)):
            activate(row, log_handler, log_filter)
            row.timings.append(run(row.handler, args.requests) / args.requests * 1e6)
    report(table, args)


def profile(row: Row, args, log_handler, log_filter) -> None:
    """Where a row's time goes, by pyinstrument."""
    from pyinstrument import Profiler

    activate(row, log_handler, log_filter)
    with Profiler(interval=0.0001) as profiler:
        run(row.handler, args.requests * 4)
    print(profiler.output_text(color=False, show_all=False))


def report(table: list[Row], args) -> None:
    base, best_base = statistics.median(table[0].timings), min(table[0].timings)
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, {args.rounds} rounds x "
          f"{args.requests} requests; median and best round")
    print(f"{'stack':<40} {'us/request':>11} {'vs bare':>8} {'best us':>8} {'vs bare':>8}")
    for row in table:
        median, best = statistics.median(row.timings), min(row.timings)
        print(f"{row.name:<40} {median:>11.1f} {median / base:>8.3f} {best:>8.1f} {best / best_base:>8.3f}")
    for label, row, reference in (
        ("full stack sampled vs official instrumentation sampled", "full stack, sampled",
         "official instrumentation, sampled"),
        ("project tracing sampled vs official instrumentation sampled", "project tracing, sampled",
         "official instrumentation, sampled"),
        ("full stack tracing disabled vs request IDs alone", "full stack, tracing disabled",
         "request IDs + log filter alone"),
    ):
        mine, theirs = (next(r for r in table if r.name == name).timings for name in (row, reference))
        print(f"{label}: {statistics.median(mine) / statistics.median(theirs):.3f} (medians), "
              f"{min(mine) / min(theirs):.3f} (best rounds)")

if __name__ == "__main__":
    main()
