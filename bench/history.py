"""What the fleet's history costs the database: statements and writes per minute per process, at the defaults.

    .venv/bin/python -m bench.history [--services 8] [--minutes 10] [--database-url postgres://...]

One process observing runs as the runner hands them over (`healthdash.history.Observer.observe`,
called here on the main thread so that every statement it sends is counted) at the defaults:
a run every ``HEALTH_CACHE_SECONDS`` (5 s, so 12 a minute: a process-local cache, each process
runs its own; with a shared cache the fleet runs once per period, so a process sees fewer) and
``HEALTH_NOTIFY_AFTER`` = 3. Scenarios, `--minutes` simulated minutes each: ``steady`` (no
service changes: the target is no write at all), ``one change a minute`` (one of the services
goes down or comes back once a minute and holds), ``flapping`` (one service changes at every
run: the worst case). Statements are counted with Django's execute wrapper; a write is an
INSERT, UPDATE or DELETE statement. CPU time per observed run is the median over the runs.
By default a SQLite file; ``--database-url`` takes a PostgreSQL database (its tables are made
by ``migrate`` and its history rows removed afterwards).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.journal_settings"  # the same file database as the journal's


def configure(database_url: str | None) -> None:
    if database_url:
        import environ
        from django.conf import settings

        settings.DATABASES = {"default": environ.Env.db_url_config(database_url)}
    django.setup()


RUNS_PER_MINUTE = 12  # HEALTH_CACHE_SECONDS=5


def results(statuses: dict[str, str], at: datetime) -> tuple:
    from healthdash.status import ServiceResult, Status

    return tuple(ServiceResult(name=name, status=Status(status), critical=False, latency_ms=1.0, checked_at=at)
                 for name, status in statuses.items())


def scenario(name: str, services: int, minutes: int) -> dict[str, float]:
    from django.db import connection

    from healthdash.history import Observer
    from healthdash.models import ServiceState, Transition

    ServiceState.objects.all().delete()
    Transition.objects.all().delete()
    statuses = {f"service_{index}": "up" for index in range(services)}
    observer, counted, cpu = Observer(), {"statements": 0, "writes": 0}, []
    at = datetime.now(UTC)

    def count(execute, sql, params, many, context):
        counted["statements"] += 1
        counted["writes"] += sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
        return execute(sql, params, many, context)

    observer.observe(results(statuses, at))  # the first run the fleet sees: where it starts, not counted
    with connection.execute_wrapper(count):
        for run in range(minutes * RUNS_PER_MINUTE):
            at += timedelta(seconds=60 / RUNS_PER_MINUTE)
            if name == "flapping" or (name == "one change a minute" and run % RUNS_PER_MINUTE == 0):
                statuses["service_0"] = "down" if statuses["service_0"] == "up" else "up"
            started = time.process_time()
            observer.observe(results(statuses, at))
            cpu.append(time.process_time() - started)
    return {"statements": counted["statements"] / minutes, "writes": counted["writes"] / minutes,
            "cpu_us": statistics.median(cpu) * 1e6, "transitions": Transition.objects.count() / minutes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=8)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--database-url", help="a PostgreSQL database to use instead of a SQLite file")
    args = parser.parse_args()
    configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"Python {platform.python_version()}, Django {django.get_version()}, {connection.vendor}, "
          f"{os.cpu_count()} CPUs; {args.services} services, {RUNS_PER_MINUTE} runs a minute, "
          f"{args.minutes} minutes per scenario")
    print("\n| scenario | statements/min | writes/min | transitions/min | CPU µs per run (median) |\n"
          "|---|---:|---:|---:|---:|")
    for name in ("steady", "one change a minute", "flapping"):
        row = scenario(name, args.services, args.minutes)
        print(f"| {name} | {row['statements']:.0f} | {row['writes']:.0f} | {row['transitions']:.0f} | "
              f"{row['cpu_us']:.0f} |")
    print("target: steady writes nothing; a change writes its transition, then at most HEALTH_NOTIFY_AFTER "
          "small updates until it is notified")


if __name__ == "__main__":
    main()
