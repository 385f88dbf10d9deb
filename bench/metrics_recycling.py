"""What recycled workers cost a scrape: the folder's files read after many workers ended.

    .venv/bin/python -m bench.metrics_recycling [--workers 2000] [--routes 50] [--scrapes 20]

Each simulated worker is a forked process that records one request on each of `--routes`
routes into the shared folder, as gunicorn's workers do under ``--max-requests 5``, then ends.
The table gives a scrape's CPU time (reading every file, the text written: median of
`--scrapes`) for a fresh folder with two workers' files, for the folder after `--workers`
ended workers whose files are kept, and for the same folder with their files merged into the
archives as gunicorn's master merges them (``observability.metrics.compaction``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from observability.metrics.compaction import compact
from observability.metrics.instruments import REQUEST_DURATION
from observability.metrics.prometheus import FolderCollector, PrometheusBackend


def record_in_children(folder: str, count: int, routes: int) -> set[int]:
    """Fork `count` processes, each recording one request per route; their pids, all ended."""
    backend = PrometheusBackend(folder)
    record = backend.bind(REQUEST_DURATION)
    pids = set()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            for route in range(routes):
                record(0.02, ("GET", f"/bench/route/{route}", "200"))
            os._exit(0)
        os.waitpid(pid, 0)
        pids.add(pid)
    return pids


def scrape_ms(folder: str, scrapes: int) -> tuple[float, int]:
    """Median CPU milliseconds of a scrape of `folder`, and the files read."""
    registry = CollectorRegistry(auto_describe=False)
    FolderCollector(registry, folder)
    times = []
    for _ in range(scrapes):
        started = time.process_time()
        generate_latest(registry)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times), sum(name.endswith(".db") for name in os.listdir(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--routes", type=int, default=50)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-recycling-")
    try:
        record_in_children(folder, 2, args.routes)
        fresh, fresh_files = scrape_ms(folder, args.scrapes)
        pids = record_in_children(folder, args.workers, args.routes)
        kept, kept_files = scrape_ms(folder, max(3, args.scrapes // 4))
        started = time.process_time()
        compact(folder, pids)
        merge_ms = (time.process_time() - started) * 1000
        merged, merged_files = scrape_ms(folder, args.scrapes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.workers} ended workers, {args.routes} routes each; scrape CPU ms (median)\n")
    print("| folder | files | scrape ms | x fresh |\n|---|---|---|---|")
    for name, ms, files in (("fresh: 2 workers", fresh, fresh_files),
                            (f"+ {args.workers} ended workers, files kept", kept, kept_files),
                            (f"+ {args.workers} ended workers, merged into archives", merged, merged_files)):
        print(f"| {name} | {files} | {ms:.1f} | {ms / fresh:.2f} |")
    print(f"\nmerging all {args.workers} at once: {merge_ms:.0f} ms CPU")


if __name__ == "__main__":
    main()
