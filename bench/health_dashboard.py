"""Dashboard latency: 20 services that each take 100 ms, fresh and cached, beside running them in turn.

    .venv/bin/python bench/health_dashboard.py [--rounds N]

Requests go through the project's whole stack (URL routing, middleware, DRF, rendering) with
Django's test client, in-process. Fresh answers are forced with ``?refresh=1`` and an API key;
cached answers are anonymous requests inside the cache lifetime. The sequential anchor calls the
same 20 checks one after another. Budgets (issue 5): fresh <= 150 ms, cached <= 5 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVICES = 20
CHECK_SECONDS = 0.100
API_KEY = "bench-api-key-0123456789abcdef"
URL = "/api/v1/health/dashboard"


def setup_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="chimera.settings", CHIMERA_ENV_FILE="", SECRET_KEY="bench-" + "k" * 40,
        DATABASE_URL="sqlite://:memory:", ALLOWED_HOSTS="testserver", CHIMERA_API_KEYS=API_KEY,
        STATIC_ROOT=tempfile.mkdtemp(prefix="bench-static-"), LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def slow_check() -> None:
    time.sleep(CHECK_SECONDS)


def timed_ms(func) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="fresh answers measured (cached: 20x as many)")
    rounds = parser.parse_args().rounds
    setup_django()
    from django.test import Client

    from healthdash.registry import service_registry

    for name in service_registry.names():
        service_registry.unregister(name)
    for number in range(SERVICES):
        service_registry.register(f"service-{number:02d}", slow_check, timeout=1.0)
    client = Client()

    def fresh():
        response = client.get(URL + "?refresh=1", HTTP_X_API_KEY=API_KEY)
        assert response.status_code == 200 and len(response.json()["services"]) == SERVICES, response.content

    def cached():
        assert client.get(URL).status_code == 200

    def sequential():
        for service in service_registry:
            service.check()

    fresh()  # warm up: URLconf, pool threads
    sequential_ms = [timed_ms(sequential) for _ in range(3)]
    fresh_ms = [timed_ms(fresh) for _ in range(rounds)]
    cached()
    cached_ms = [timed_ms(cached) for _ in range(rounds * 20)]

    anchor = statistics.median(sequential_ms)
    print(f"{SERVICES} services x {CHECK_SECONDS * 1000:.0f} ms each; median and p95 in ms; "
          f"{rounds} fresh, {rounds * 20} cached, 3 sequential rounds")
    print(f"{'measurement':<22}{'median':>10}{'p95':>10}{'vs sequential':>16}{'budget':>10}")
    for label, samples, budget in (("sequential (anchor)", sequential_ms, None), ("fresh (?refresh=1)", fresh_ms, 150),
                                   ("cached", cached_ms, 5)):
        median, p95 = summary(samples)
        verdict = "" if budget is None else f"<= {budget}" + (" ok" if median <= budget else " OVER")
        print(f"{label:<22}{median:>10.2f}{p95:>10.2f}{median / anchor:>15.4f}x{verdict:>10}")


if __name__ == "__main__":
    main()
