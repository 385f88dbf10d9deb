"""What carrying the request ID and the trace into Celery tasks costs, per task published and run.

    .venv/bin/python -m bench.task_propagation [--rounds 20] [--number 500]

One task is published (kombu's in-memory transport: a real message, serialized with its
headers, without a network's noise) and run (Celery's own task tracer, as a worker runs it,
with its signals), in interleaved rounds, under three sets of receivers:

- bare: nothing connected to Celery's signals;
- request IDs: ``observability.tasks`` (the header on publishing, the context while running);
- request IDs + tracing: also OpenTelemetry's Celery instrumentation with an SDK provider
  (batch processor, discarding exporter) and a parent span open, as in a traced request.

It prints µs per task (median of rounds, best round) for publishing, running, and both, and the
ratio of each row to bare.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

import celery  # noqa: E402
from celery import Celery  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.celery import CeleryInstrumentor  # noqa: E402
from opentelemetry.metrics import NoOpMeterProvider  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from bench.provider_client import Discard  # noqa: E402
from observability.context import request_id_context  # noqa: E402
from observability.tasks import instrument, propagation, uninstrument  # noqa: E402

BASELINE = "bare"

app = Celery("bench", broker="memory://", backend="disabled://", task_ignore_result=True)


@app.task(name="bench.noop")
def noop(value: int) -> int:
    return value


def connect(on: bool) -> None:
    """observability.tasks's receivers connected (as the project's Celery app connects them) or not."""
    if on:
        instrument(app, keep_logging=False)
    else:
        uninstrument()


def publish(number: int) -> float:
    """µs per task published."""
    started = time.perf_counter()
    for value in range(number):
        noop.apply_async((value,))
    elapsed = time.perf_counter() - started
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    return elapsed / number * 1e6


def run(number: int) -> float:
    """µs per task run by Celery's tracer, prerun and postrun signals included."""
    headers = {propagation.HEADER: "bench-request"}
    started = time.perf_counter()
    for value in range(number):
        noop.apply((value,), headers=headers)
    return (time.perf_counter() - started) / number * 1e6


def variants(provider: TracerProvider) -> dict[str, tuple[Callable[[], None], Callable[[], None], Callable]]:
    """Each row: what to connect before its round, what to undo after, what its calls run inside."""
    tracer = provider.get_tracer("bench")
    instrumentor = CeleryInstrumentor()

    def trace_on():
        connect(True)
        instrumentor.instrument(tracer_provider=provider, meter_provider=NoOpMeterProvider())

    def trace_off():
        instrumentor.uninstrument()
        connect(False)

    def in_request():
        return request_id_context("bench-request")

    def in_traced_request():
        return tracer.start_as_current_span("POST api/v1/generate", kind=trace.SpanKind.SERVER)

    return {
        BASELINE: (lambda: None, lambda: None, in_request),
        "request IDs": (lambda: connect(True), lambda: connect(False), in_request),
        "request IDs + tracing": (trace_on, trace_off, in_traced_request),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--number", type=int, default=500, help="tasks per variant and round")
    args = parser.parse_args()
    connect(False)  # importing the project connected them
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    rows = variants(provider)
    results: dict[str, dict[str, list[float]]] = {name: {"publish": [], "run": []} for name in rows}
    for warm_up in (True, *([False] * args.rounds)):
        for name, (begin, end, around) in rows.items():
            begin()
            try:
                with around():
                    published, ran = publish(args.number), run(args.number)
            finally:
                end()
            if not warm_up:
                results[name]["publish"].append(published)
                results[name]["run"].append(ran)
    provider.shutdown()
    report(results, args)


def report(results: dict[str, dict[str, list[float]]], args) -> None:
    print(f"Python {platform.python_version()}, Celery {celery.__version__}, {args.rounds} rounds x {args.number} "
          "tasks per variant, interleaved; µs per task (median of rounds), ratio to bare")
    base = {part: statistics.median(values) for part, values in results[BASELINE].items()}
    print(f"{'variant':<24}{'publish':>9}{'ratio':>7}{'run':>9}{'ratio':>7}{'both':>9}{'ratio':>7}{'added':>8}")
    for name, parts in results.items():
        publish_us, run_us = statistics.median(parts["publish"]), statistics.median(parts["run"])
        both, base_both = publish_us + run_us, base["publish"] + base["run"]
        print(f"{name:<24}{publish_us:>9.1f}{publish_us / base['publish']:>7.2f}{run_us:>9.1f}"
              f"{run_us / base['run']:>7.2f}{both:>9.1f}{both / base_both:>7.2f}{both - base_both:>8.1f}")


if __name__ == "__main__":
    main()
