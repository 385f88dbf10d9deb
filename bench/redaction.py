"""What redaction costs: a log record through the project's console filters, and a server span's attributes.

    .venv/bin/python -m bench.redaction [--rounds 15] [--number 20000]

Every log line goes through ``RedactionFilter`` and every sampled request's span attributes are
built by ``TracingMiddleware``; both run on the request path. Each row is timed in interleaved
rounds (the median of the rounds, in CPU µs per call, so that other processes on the machine
count little) and shown as a ratio to its reference: the same record formatted as JSON without
any filter, or the attributes OpenTelemetry's own WSGI instrumentation collects for the request.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import time
from collections.abc import Callable

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django.setup()

from django.test import RequestFactory  # noqa: E402
from opentelemetry.instrumentation.wsgi import collect_request_attributes  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from pythonjsonlogger.json import JsonFormatter  # noqa: E402

from observability.log_filters import RedactionFilter, RequestContextFilter, SecurityEventFilter  # noqa: E402
from observability.tracing import middleware as tracing_middleware  # noqa: E402
from observability.tracing import sdk  # noqa: E402

QUERY = "page=2&api_key=k-5150-abcdef&password=hunter2&lang=en"
FORMATTER = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s",
                          rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"})
FILTERS = (SecurityEventFilter(), RedactionFilter(), RequestContextFilter())  # chimera's console handler, in order


def records() -> dict[str, Callable[[], logging.LogRecord]]:
    """Fresh records of the kinds a request writes (filters change records, so each call makes one)."""
    request = RequestFactory().get("/api/v1/items/7/?" + QUERY)

    def record(name: str, message: str, args: tuple = (), **extra) -> Callable[[], logging.LogRecord]:
        def make() -> logging.LogRecord:
            made = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
            made.__dict__.update(extra)
            return made
        return make

    return {
        "plain line": record("chimera.api", "item %s served", (7,)),
        "line with a URL": record("chimera.llm", "Provider %s answered HTTP %s from %s",
                                  ("google", 500, "https://api.example.com/v1/chat?key=abcdef123456")),
        "django.request 404 with a query": record("django.request", "Not Found: %s", ("/api/v1/items/7/",),
                                                  status_code=404, request=request),
        "runserver line with a query": record("django.server", '"%s" %s %s',
                                              (f"GET /api/v1/items/7/?{QUERY} HTTP/1.1", 404, 179)),
    }


def log_row(make: Callable[[], logging.LogRecord], filtered: bool) -> Callable[[], None]:
    def run() -> None:
        record = make()
        if filtered:
            for log_filter in FILTERS:
                log_filter.filter(record)
        else:
            record.request_id = record.trace_id = record.span_id = "-"
        FORMATTER.format(record)
    return run


def span_rows() -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """(ours, official) attribute collection for a request with and without a query string."""
    semconv = sdk.http_semconv()[0]
    tracing = tracing_middleware.Tracing(TracerProvider().get_tracer("bench"), None, semconv)
    found = {}
    for name, query in (("span attributes, no query", ""), ("span attributes, query", QUERY)):
        request = RequestFactory().get("/api/v1/items/7/", QUERY_STRING=query,
                                       RAW_URI="/api/v1/items/7/" + (f"?{query}" if query else ""))
        found[name] = (lambda r=request: tracing_middleware.request_attributes(tracing, r),
                       lambda r=request: collect_request_attributes(r.META, semconv))
    return found


def timed(run: Callable[[], None], number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        run()
    return (time.process_time() - start) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=20000, help="calls per row per round")
    args = parser.parse_args()
    rows: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        name: (log_row(make, True), log_row(make, False)) for name, make in records().items()}
    rows.update(span_rows())
    runs = [(name, kind, pair[index]) for name, pair in rows.items() for index, kind in enumerate(("ours", "ref"))]
    samples: dict[tuple[str, str], list[float]] = {(name, kind): [] for name, kind, _ in runs}
    for _ in range(args.rounds):
        random.shuffle(runs)
        for name, kind, run in runs:
            samples[name, kind].append(timed(run, args.number))
    print(f"\n## redaction: CPU µs per call, median of {args.rounds} rounds x {args.number} calls, interleaved\n"
          f"{'row':<36} {'with redaction':>15} {'reference':>10} {'ratio':>6}")
    for name in rows:
        ours, reference = (statistics.median(samples[name, kind]) for kind in ("ours", "ref"))
        print(f"{name:<36} {ours:>15.2f} {reference:>10.2f} {ours / reference:>6.2f}")


if __name__ == "__main__":
    main()
