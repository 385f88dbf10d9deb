"""What the request journal costs per request: a request it does not record, and one it records.

    .venv/bin/python -m bench.journal [--rounds 30] [--number 1000]
    .venv/bin/python -m bench.journal --instructions [--requests 1000]

Django's WSGIHandler called directly (bench.wsgi_timing) in front of the trivial DRF view of
bench.urls, which logs one line, behind RequestIDMiddleware and MetricsMiddleware as the project
lists them, with ``JournalMiddleware`` after them or not. ``not recorded``: the view answers 200
fast, so the journal buffers its log record and drops it (the target: at most +2 % CPU time).
``recorded``: the view answers 503, so every request's entry is built after the response and
written by the writer thread to a SQLite file; the writer's CPU time is counted (process time)
and each round ends when the writer has written everything (at most 200 requests a round, so
the queue never drops). Rows interleave; figures are medians over rounds. ``--instructions``
counts CPU instructions per request not recorded under valgrind's callgrind instead, which a
busy machine cannot disturb.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.journal_settings"
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.wsgi_timing import Variant, call, environ, measure, medians, table  # noqa: E402
from observability.journal.writer import writer  # noqa: E402
from observability.models import JournalEntry  # noqa: E402
from observability.pipeline import JOURNAL, METRICS, REQUEST_ID  # noqa: E402

OFF, ON = "journal off", "journal on"
RECORDED_PER_ROUND = 200  # below the writer's queue size: nothing is dropped


PASS_THROUGH = "bench.journal.PassThrough"
ROWS = {"off": [], "on": [JOURNAL], "pass-through": [PASS_THROUGH]}


class PassThrough:
    """A middleware that does nothing: what any middleware of its own costs, whatever it does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def handler(journal: bool, row: str | None = None) -> WSGIHandler:
    extra = ROWS[row] if row else [JOURNAL] if journal else []
    with override_settings(MIDDLEWARE=[REQUEST_ID, METRICS, *extra]):
        return WSGIHandler()


def flush() -> None:
    writer.wait(60)
    JournalEntry.objects.all().delete()


def run_requests(row: str, requests: int) -> None:
    """The child of ``--instructions``: 200 warm-up requests of `row`, then `requests` more."""
    app, template = handler(False, row), environ()
    for _ in range(200 + requests):
        call(app, template)


def instructions(row: str, requests: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.journal", "--child", row, str(requests)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def instruction_counts(requests: int) -> None:
    # N requests minus none: start-up and warm-up cancel out.
    counts = {row: (instructions(row, requests) - instructions(row, 0)) / requests for row in ROWS}
    print(f"\n## not recorded (200, one log line): instructions per request ({requests} requests)")
    for row, count in counts.items():
        print(f"{row:<14} {count:>10.0f}  {(count / counts['off'] - 1) * 100:+.2f} %")
    print("target: journal on at most +2 % over off; pass-through: a middleware doing nothing, the part of the "
          "journal's cost that hooking into RequestIDMiddleware would save")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=1000)
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--requests", type=int, default=1000, help="requests per row for --instructions")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_requests(args.child[0], int(args.child[1]))
        return
    call_command("migrate", verbosity=0)
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    if args.instructions:
        instruction_counts(args.requests)
        return

    off, on = handler(False), handler(True)
    fast = measure([Variant(OFF, off), Variant(ON, on)], environ(), args.rounds, args.number)
    print(f"\n## not recorded (200, one log line): µs per request, {args.rounds} rounds x {args.number}\n"
          f"{table(fast, OFF)}")
    cpu = medians(fast, "cpu")
    print(f"journal on, not recorded: {(cpu[ON] / cpu[OFF] - 1) * 100:+.1f} % CPU time "
          f"({cpu[ON] - cpu[OFF]:+.1f} µs; target at most +2 %)")

    number = min(args.number, RECORDED_PER_ROUND)
    notable = measure([Variant(OFF, off), Variant(ON + ", recorded", on, flush=flush)],
                      environ("/bench/unavailable/7/?token=abc"), args.rounds, number)
    print(f"\n## recorded (503, one log line): µs per request, {args.rounds} rounds x {number}\n"
          f"{table(notable, OFF)}")
    cpu = medians(notable, "cpu")
    print(f"recording one entry: {cpu[ON + ', recorded'] - cpu[OFF]:+.1f} µs CPU time, the writer's included; "
          f"dropped: {writer.dropped}")


if __name__ == "__main__":
    main()
