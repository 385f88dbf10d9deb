"""What the provider client's correlation and tracing add to one call, as ratios to plain httpx.

    .venv/bin/python -m bench.provider_client [--rounds 30] [--number 200]

Each variant POSTs a chat completion to the test suite's chat-completions server on 127.0.0.1
(a real socket round trip, kept alive), in interleaved rounds so the machine's noise spreads
over all of them, and prints µs per call (median of rounds, best round) and the ratio to a
plain ``httpx.Client``:

- plain httpx: no hook, no instrumentation;
- X-Request-ID hook: ``observability.http.httpx_client()`` inside a request ID;
- project client, tracing off: ``chimera.llm.http.build_client()`` with no tracer provider
  (not instrumented, since every span would be a no-op);
- project client, tracing on: the same with an SDK provider (batch processor, discarding
  exporter) and a parent span open, as under a traced request.
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

import httpx  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402

from chimera.llm.http import build_client  # noqa: E402
from observability.context import request_id_context  # noqa: E402
from observability.http import httpx_client  # noqa: E402
from observability.tracing import sdk  # noqa: E402
from tests.support.chat_server import ChatCompletionsServer  # noqa: E402

PAYLOAD = {"model": "bench", "messages": [{"role": "user", "content": "How fast is this?"}]}
BASELINE = "plain httpx"


class Discard(SpanExporter):
    """Accepts every span and keeps none."""

    def export(self, spans) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def timed(client: httpx.Client, url: str, number: int, around: Callable) -> float:
    """µs per call for `number` calls made inside the context manager `around()`."""
    with around():
        started = time.perf_counter()
        for _ in range(number):
            client.post(url, json=PAYLOAD, timeout=5).raise_for_status()
        return (time.perf_counter() - started) / number * 1e6


def variants(provider: TracerProvider) -> dict[str, tuple[httpx.Client, Callable]]:
    """Each row's client and what its calls run inside."""
    tracer = provider.get_tracer("bench")
    off = build_client()  # built while no tracer provider is installed
    sdk.swap_global_tracer_provider(provider)  # as setup_tracing() installs it, without the set-once guard
    on = build_client()

    def traced():
        return tracer.start_as_current_span("POST api/v1/generate", kind=trace.SpanKind.SERVER)

    return {
        BASELINE: (httpx.Client(), lambda: request_id_context("bench")),
        "X-Request-ID hook": (httpx_client(), lambda: request_id_context("bench")),
        "project client, tracing off": (off, lambda: request_id_context("bench")),
        "project client, tracing on": (on, traced),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=200, help="calls per variant and round")
    args = parser.parse_args()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    with ChatCompletionsServer() as server:
        url = server.url("ok") + "/chat/completions"
        rows = variants(provider)
        for client, around in rows.values():  # warm up: connections, imports, caches
            timed(client, url, 50, around)
        results: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.rounds):
            for name, (client, around) in rows.items():
                results[name].append(timed(client, url, args.number, around))
                server.clear()
    provider.shutdown()
    report(results, args)


def report(results: dict[str, list[float]], args) -> None:
    print(f"Python {platform.python_version()}, httpx {httpx.__version__}, {args.rounds} rounds x "
          f"{args.number} calls per variant, interleaved; µs per call")
    base_median = statistics.median(results[BASELINE])
    base_best = min(results[BASELINE])
    print(f"{'variant':<30}{'median':>9}{'vs plain':>10}{'best':>9}{'vs plain':>10}")
    for name, values in results.items():
        median, best = statistics.median(values), min(values)
        print(f"{name:<30}{median:>9.1f}{median / base_median:>10.3f}{best:>9.1f}{best / base_best:>10.3f}")


if __name__ == "__main__":
    main()
