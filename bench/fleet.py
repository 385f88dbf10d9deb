"""The fleet: what the shared run costs a dashboard request, and the database writes of heartbeats.

    .venv/bin/python -m bench.fleet [--rounds N] [--redis redis://127.0.0.1:6379/14]

In-process, through the project's whole stack (Django's test client), with the project's own
services, side by side in one process:

- **local run**: the process's run is older than ``HEALTH_CACHE_SECONDS`` and the cache is local,
  so the request runs the checks (today's cost once per cache period per process);
- **fleet run, cache hit**: the same request with Redis as the cache and a young fleet run in it: the
  request reads and unpickles it instead of running the checks;
- **cached in the process**: the run is young in the process itself (local and shared alike);
- **lock contention**: 8 dashboards (8 processes) need a run at once and the checks take 100 ms:
  one runs them, the others wait for its run; their wait beyond the holder's run is the lock's cost.

Then the database writes per minute per process at the defaults (a heartbeat every 10 s), counted
with Django's query capture: with a shared cache, none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.health_dashboard import summary, timed_ms  # noqa: E402

API_KEY = "bench-api-key-0123456789abcdef"
URL = "/api/v1/health/dashboard"
PROCESSES = 8
SLOW_CHECK_SECONDS = 0.1
BEATS_PER_MINUTE = 6  # HEALTH_HEARTBEAT_SECONDS=10


def setup_django(redis_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="chimera.settings", CHIMERA_ENV_FILE="", SECRET_KEY="bench-" + "k" * 40,
        DATABASE_URL=f"sqlite:///{tempfile.mkdtemp(prefix='bench-fleet-')}/db.sqlite3",
        ALLOWED_HOSTS="testserver", CHIMERA_API_KEYS=API_KEY,
        STATIC_ROOT=tempfile.mkdtemp(prefix="bench-static-"), LOG_LEVEL="WARNING", CACHE_URL=redis_url,
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def request_costs(rounds: int) -> list[tuple[str, list[float]]]:
    from django.core.cache import caches
    from django.test import Client, override_settings

    from healthdash.dashboard import dashboard_for

    client, dashboard = Client(), dashboard_for()

    def answer(forget_local: bool):
        def request():
            if forget_local:
                dashboard.clear()  # this process's run is too old: it needs the fleet's, or its own
            assert client.get(URL).status_code in (200, 503)
        return request

    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    answer(True)()  # warm up against Redis, and publish the fleet's run
    rows = []
    with override_settings(CACHES=local):
        answer(True)()
        rows.append(("local run (checks run)", [timed_ms(answer(True)) for _ in range(rounds)]))
    caches["default"].clear()
    answer(True)()
    rows.append(("fleet run, cache hit", [timed_ms(answer(True)) for _ in range(rounds)]))
    rows.append(("cached in the process", [timed_ms(answer(False)) for _ in range(rounds * 5)]))
    return rows


def ask(dashboard, start: threading.Barrier, took: list[float]) -> None:
    """One process needing a run, at the same moment as the others."""
    start.wait()
    took.append(timed_ms(dashboard.current_run))


def contention(rounds: int) -> list[float]:
    """Per round: how long the waiting processes take beyond the holder's run, in ms (median of the 7)."""
    from django.core.cache import caches

    from healthdash.dashboard import Dashboard
    from healthdash.registry import ServiceRegistry

    registry = ServiceRegistry()
    registry.register("slow", lambda: time.sleep(SLOW_CHECK_SECONDS), critical=False)
    extra = []
    for _ in range(rounds):
        caches["default"].clear()
        dashboards = [Dashboard(registry) for _ in range(PROCESSES)]
        took: list[float] = []
        start = threading.Barrier(PROCESSES)
        threads = [threading.Thread(target=ask, args=(d, start, took)) for d in dashboards]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holder = min(took)  # the holder's own run, lock and publication included
        extra.append(statistics.median(sorted(took)[1:]) - holder)
    return extra


def database_writes_per_minute(shared: bool) -> tuple[int, int]:
    """(writes, reads) of one process's heartbeats over a minute at the defaults."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from healthdash.heartbeat import Heartbeat

    caches = None if shared else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(**({"CACHES": caches} if caches else {})), CaptureQueriesContext(connection) as queries:
        beat = Heartbeat()
        for _ in range(BEATS_PER_MINUTE):
            beat.beat()
    writes = sum(1 for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))
    return writes, sum(1 for q in queries if q["sql"].lstrip().upper().startswith("SELECT"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests measured per row")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
                        help="the Redis the fleet shares (a database of its own: it is emptied)")
    args = parser.parse_args()
    setup_django(args.redis)
    rows = request_costs(args.rounds)
    anchor = statistics.median(rows[0][1])
    print(f"dashboard request, project's services, {args.rounds} rounds; median and p95 in ms")
    print(f"{'measurement':<26}{'median':>10}{'p95':>10}{'vs local run':>14}")
    for label, samples in rows:
        median, p95 = summary(samples)
        print(f"{label:<26}{median:>10.2f}{p95:>10.2f}{median / anchor:>13.3f}x")
    extra = contention(max(args.rounds // 20, 5))
    median, p95 = summary(extra)
    print(f"lock contention, {PROCESSES} processes, checks of {SLOW_CHECK_SECONDS * 1000:.0f} ms: the waiters' "
          f"time beyond the holder's run, median {median:.1f} ms, p95 {p95:.1f} ms")
    for label, shared in (("shared cache (Redis)", True), ("local cache (database)", False)):
        writes, reads = database_writes_per_minute(shared)
        print(f"heartbeats, {label}: {writes} database writes and {reads} reads per minute per process")


if __name__ == "__main__":
    main()
