"""Per-request overhead of request-ID middleware: bare DRF, ours, django-guid.

    .venv/bin/python -m bench.overhead [--rounds 30] [--number 2000]
    .venv/bin/python -m bench.overhead --instructions [--requests 1000]

The first form prints µs per request (median, min-max over interleaved rounds) and the ratio of
medians to bare. The second counts CPU instructions per request of each variant under
valgrind's callgrind: slow, but the same on a busy machine as on an idle one, so it settles
what wall-clock noise leaves open. Both run two scenarios: no incoming ID (one is generated)
and a valid incoming ID.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.wsgi_timing import Variant, call, environ, measure, table  # noqa: E402

REQUEST_ID = "observability.middleware.RequestIDMiddleware"
GUID = "django_guid.middleware.guid_middleware"
BASELINE = "bare Django+DRF"
SCENARIOS = {
    "generated": {},
    "incoming": {"X-Request-ID": "3f1c9a2e-8d4b-4c6e-9a7f-0b5d2e1c4a8f"},
}
TITLES = {"generated": "no incoming ID (generated)", "incoming": "valid incoming ID"}


def handler(middleware: list[str]) -> WSGIHandler:
    """A WSGI handler with exactly `middleware` (read once, when the handler loads it)."""
    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def variants() -> list[Variant]:
    return [
        Variant(BASELINE, handler([])),
        Variant("RequestIDMiddleware", handler([REQUEST_ID])),
        Variant("django-guid (defaults)", handler([GUID])),
    ]


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def wall_clock(rounds: int, number: int) -> None:
    rows = variants()
    for scenario, headers in SCENARIOS.items():
        samples = measure(rows, environ(headers=headers), rounds, number)
        base = median(samples[BASELINE])
        ours, guid = median(samples["RequestIDMiddleware"]) - base, median(samples["django-guid (defaults)"]) - base
        print(f"\n## {TITLES[scenario]}\n{table(samples, BASELINE)}")
        print(f"added: ours {ours:.1f} µs, django-guid {guid:.1f} µs (ours/guid {ours / guid:.2f})")


def run_requests(variant: str, scenario: str, requests: int) -> None:
    """Child mode for --instructions: warm up, then make `requests` requests of one variant."""
    app = next(row.app for row in variants() if row.name == variant)
    template = environ(headers=SCENARIOS[scenario])
    for _ in range(300):
        call(app, template)
    for _ in range(requests):
        call(app, template)


def instructions(variant: str, scenario: str, requests: int) -> int:
    """Instructions callgrind counts for a child process making `requests` requests."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.overhead", "--child", variant, scenario, str(requests)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def instruction_counts(requests: int) -> None:
    names = [row.name for row in variants()]
    for scenario in SCENARIOS:
        # The difference between N requests and none removes start-up and warm-up.
        per_request = {name: (instructions(name, scenario, requests) - instructions(name, scenario, 0)) / requests
                       for name in names}
        print(f"\n## {TITLES[scenario]}: instructions per request\n{'variant':<48} {'instructions':>12} {'ratio':>7}")
        for name, count in per_request.items():
            print(f"{name:<48} {count:>12,.0f} {count / per_request[BASELINE]:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=2000, help="requests per variant per round")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--requests", type=int, default=1000, help="requests per variant for --instructions")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "SCENARIO", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_requests(args.child[0], args.child[1], int(args.child[2]))
        return
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}", file=sys.stderr)
    if args.instructions:
        instruction_counts(args.requests)
    else:
        print(f"{args.rounds} rounds x {args.number} requests per variant", file=sys.stderr)
        wall_clock(args.rounds, args.number)


if __name__ == "__main__":
    main()
