"""Every benchmark, one after another: ``.venv/bin/python -m bench [--quick] [--instructions]``.

1. bench.overhead: per-request cost in-process (request IDs, django-guid, tracing rows, the floor
   of a traced request), CPU and wall time and the tail, on a trivial view and a three-query one;
2. bench.health_dashboard: dashboard latency, 20 services of 100 ms each;
3. bench.provider_client: a provider call through each HTTP client;
3b. bench.task_propagation: request IDs and tracing per Celery task published and run;
4. bench.load: gunicorn with wrk: throughput and the tail (p50 to max), export settings, collector
   faults, the dashboard under 100 clients, worker memory over 100k requests (needs Debian's
   wrk: it stops at once, saying ``apt-get install wrk``, when wrk is missing);
5. bench.metrics: the metrics' recording cost in-process, /metrics with 50 routes and 2 workers;
   bench.metrics_recycling: a scrape after 2000 ended workers, their files kept or merged;
6. bench.redaction: a log record through the console's filters, a server span's attributes;
7. bench.probes: liveness, startup and readiness per request against a bare Django view.
8. bench.journal: the request journal, a request it does not record against the journal off, and one it records.
9. bench.history: the fleet's history, database statements and writes per minute per process at the defaults.
10. bench.fleet: the fleet's shared run against a local one (cache hit, lock contention), heartbeats' database
   writes (needs a Redis: BENCH_REDIS_URL, by default database 14 of 127.0.0.1:6379, which it empties).

``--quick`` runs each with fewer rounds (minutes instead of about half an hour: for checking
that they run, not for figures); ``--instructions`` adds callgrind instruction counts of the
in-process rows (slow: about a quarter of an hour). Each prints its own table;
docs/performance.md shows them with the machine and date.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys


def commands(quick: bool, instructions: bool) -> list[list[str]]:
    python = [sys.executable, "-m"]
    steps = [
        [*python, "bench.overhead", *(["--rounds", "3", "--number", "200"] if quick else [])],
        [*python, "bench.health_dashboard", *(["--rounds", "3"] if quick else [])],
        [*python, "bench.provider_client", *(["--rounds", "3"] if quick else [])],
        [*python, "bench.task_propagation", *(["--rounds", "3", "--number", "100"] if quick else [])],
        [*python, "bench.load", *(["--rounds", "1", "--duration", "3", "--memory-requests", "5000"] if quick else [])],
        [*python, "bench.metrics", *(["--rounds", "3", "--number", "200", "--scrapes", "10"] if quick else [])],
        [*python, "bench.metrics_recycling", *(["--workers", "200", "--scrapes", "5"] if quick else [])],
        [*python, "bench.redaction", *(["--rounds", "3", "--number", "500"] if quick else [])],
        [*python, "bench.probes", *(["--rounds", "3", "--number", "200"] if quick else [])],
        [*python, "bench.journal", *(["--rounds", "3", "--number", "200"] if quick else [])],
        [*python, "bench.history", *(["--minutes", "2"] if quick else [])],
        [*python, "bench.fleet", *(["--rounds", "20"] if quick else [])],
    ]
    if instructions:
        steps.insert(1, [*python, "bench.overhead", "--instructions", *(["--requests", "100"] if quick else [])])
        steps.append([*python, "bench.metrics", "--instructions", *(["--requests", "200"] if quick else [])])
        steps.append([*python, "bench.journal", "--instructions", *(["--requests", "100"] if quick else [])])
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds: check that everything runs")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (callgrind)")
    args = parser.parse_args()
    missing = [tool for tool in ("wrk", *(["valgrind"] if args.instructions else [])) if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (apt-get install {' '.join(missing)})")
    failed = []
    for command in commands(args.quick, args.instructions):
        print(f"\n=== {' '.join(command[2:])}", flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(command[2])
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
