"""What a probe costs per request, in-process, against a bare Django view answering the same JSON.

    .venv/bin/python -m bench.probes [--rounds 15] [--number 2000]

Every row goes through the project's whole middleware stack in one ``WSGIHandler`` (bench.wsgi_timing:
rows interleaved, GC paused while timing). Liveness must stay within 1.1x of the bare view: it
touches nothing. Readiness and startup answer from what the process already knows (the cached run
and maintenance state, the latch), which is what an orchestrator probing every few seconds meets;
the checks themselves are ``bench.health_dashboard``'s.
"""

from __future__ import annotations

import argparse
import os

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.probes_settings"
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.wsgi_timing import Variant, environ, measure, table  # noqa: E402

PATHS = {
    "bare Django view": "/bench/bare", "liveness /health": "/health", "liveness /health/live": "/health/live",
    "startup /health/startup (started)": "/health/startup", "readiness /health/ready (cached run)": "/health/ready",
}


def at(handler: WSGIHandler, path: str):
    """`handler` answering `path`, whatever the template's path."""
    def app(env, start_response):
        env["PATH_INFO"] = path
        return handler(env, start_response)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000, help="requests per row per round")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)  # so the checks and the maintenance state find their tables
    handler = WSGIHandler()
    variants = [Variant(name, at(handler, path)) for name, path in PATHS.items()]
    samples = measure(variants, environ("/health"), args.rounds, args.number)
    print(f"\n## probes: µs per request, median of {args.rounds} rounds x {args.number} requests, interleaved\n")
    print(table(samples, "bare Django view"))


if __name__ == "__main__":
    main()
