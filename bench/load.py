"""Load benchmarks under real gunicorn (2 workers) with wrk on 127.0.0.1.

    .venv/bin/python -m bench.load [throughput] [tuning] [faults] [dashboard] [memory] [workers]
                                   [--rounds 3] [--duration 10] [--connections 8]

- throughput: bare Django+DRF against the full stack with tracing off, sampled at 1.0, at 0.1
  and at 0 (OTLP/gRPC to a counting collector); runs alternate between the servers, and each
  figure is the median of the rounds, with its ratio to bare; the tail (p50, p99, p99.9, max)
  comes from wrk's own latency record (a Lua ``done`` hook prints what ``--latency`` does not).
- tuning: the sampled full stack with other export settings (protocol, batch size, delay),
  compared by the whole tail.
- faults: the collector up, down (connection refused) and hung (accepts, never answers):
  failed requests and latency against the healthy collector; then how long each server takes
  to stop on SIGTERM.
- dashboard: 100 concurrent clients on /api/v1/health/dashboard (gthread workers); how often
  the backing services were really probed, against one run per cache window per worker.
- memory: worker RSS while 100k requests are served, collector up against collector down.
- workers: the worker model gunicorn.conf.py runs (gthread with one request admitted into Python at
  a time, observability.workers) against sync workers, plain gthread and gevent (when installed), on
  the trivial endpoint and on the dashboard, at -c8 and -c64.

wrk comes from Debian (``apt-get install wrk``). Nothing here is a test: it prints figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.processes import Gunicorn, free_port, project_env, run_manage  # noqa: E402
from tests.support.receivers import SilentListener  # noqa: E402

SECTIONS = ("throughput", "tuning", "faults", "dashboard", "memory", "workers")
WORK = Path(tempfile.mkdtemp(prefix="chimera-bench-"))


# --- Tools ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int  # non-2xx/3xx responses and socket errors
    p999_ms: float = 0.0
    max_ms: float = 0.0


# wrk's --latency report stops at p99: this hook prints p99.9 and the maximum too (µs).
TAIL_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("TAIL %d %d %d %d\\n", latency:percentile(50), latency:percentile(99),
                         latency:percentile(99.9), latency.max))
end
"""


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, duration: float, connections: int, threads: int = 2) -> WrkResult:
    """Run wrk against `url` and parse its report."""
    script = WORK / "tail.lua"
    if not script.exists():
        script.write_text(TAIL_SCRIPT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(round(duration), 1)}s", "--timeout", "10s",
               "--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    tail = [int(n) / 1000 for n in re.search(r"^TAIL (\d+) (\d+) (\d+) (\d+)$", output, flags=re.MULTILINE).groups()]
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, flags=re.MULTILINE))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=to_ms(percentiles["50"]),
        p99_ms=to_ms(percentiles["99"]),
        failures=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        p999_ms=tail[2],
        max_ms=tail[3],
    )


class Collector:
    """The counting OTLP collector (bench.collector) in its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.collector"], cwd=ROOT,
                                        stdout=subprocess.PIPE, text=True)
        ports = json.loads(self.process.stdout.readline())
        self.grpc_endpoint = f"http://127.0.0.1:{ports['grpc_port']}"
        self.http_endpoint = f"http://127.0.0.1:{ports['http_port']}/v1/traces"
        self.count_url = f"http://127.0.0.1:{ports['http_port']}/count"

    def spans(self) -> int:
        with urllib.request.urlopen(self.count_url, timeout=5) as response:
            return int(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Server:
    """A gunicorn of the benchmark project, with its name and the wrk runs made against it."""

    name: str
    gunicorn: Gunicorn
    path: str = "/bench"
    runs: list[WrkResult] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # the workers' CPU time per request served, per run

    @property
    def url(self) -> str:
        return self.gunicorn.url + self.path


def migrated_database() -> str:
    url = f"sqlite:///{WORK / 'db.sqlite3'}"
    if not (WORK / "db.sqlite3").exists():
        result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=url), timeout=300)
        assert result.returncode == 0, result.stderr
    return url


def start(name: str, *, bare: bool = False, args: list[str] | None = None, path: str = "/bench",
          **variables: str) -> Server:
    """A gunicorn with 2 workers, its logs in the work folder; `variables` go to its environment."""
    env = project_env(DJANGO_SETTINGS_MODULE="bench.load_settings", DATABASE_URL=migrated_database(),
                      WEB_CONCURRENCY="2", BENCH_BARE="1" if bare else "0", **variables)
    extra = ["--logger-class", "gunicorn.glogging.Logger"] if bare else []
    slug = re.sub(r"\W+", "-", name).strip("-")
    gunicorn = Gunicorn(env=env, log_dir=WORK / slug, args=[*extra, *(args or [])]).start()
    return Server(name, gunicorn, path)


def traced(collector: Collector, rate: str, **variables: str) -> dict[str, str]:
    settings = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp", "TRACING_ENDPOINT": collector.grpc_endpoint,
                "TRACING_SAMPLE_RATE": rate}
    settings.update(variables)
    return settings


def alternate(servers: list[Server], rounds: int, duration: float, connections: int) -> None:
    """Warm every server up, then run wrk against each in turn, in a new order every round."""
    for server in servers:
        wrk(server.url, 2, connections)
    for _ in range(rounds):
        for server in random.sample(servers, len(servers)):
            before = workers_cpu_seconds(server)
            server.runs.append(wrk(server.url, duration, connections))
            server.cpu_us.append((workers_cpu_seconds(server) - before) * 1e6 / max(server.runs[-1].requests, 1))


def workers_cpu_seconds(server: Server) -> float:
    """CPU time the server's workers have used (user and system): what other load cannot inflate much."""
    total = 0.0
    for pid in worker_pids(server):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def median(values) -> float:
    return statistics.median(values)


def stop_all(servers: list[Server]) -> dict[str, float]:
    return {server.name: server.gunicorn.stop(timeout=60) for server in servers}


def worker_pids(server: Server) -> list[int]:
    master = server.gunicorn.process.pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


# --- Sections ---------------------------------------------------------------------------------


def throughput_table(servers: list[Server]) -> None:
    base = servers[0]
    base_rps, base_p99 = median(r.rps for r in base.runs), median(r.p99_ms for r in base.runs)
    base_cpu = median(base.cpu_us) if base.cpu_us else 0.0
    print(f"{'server':<44} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'p99 ratio':>9} "
          f"{'p99.9 ms':>8} {'max ms':>7} {'failed':>6} {'CPU µs/req':>10} {'ratio':>6}")
    for server in servers:
        rps, p50, p99, p999, worst = (median(getattr(r, key) for r in server.runs)
                                      for key in ("rps", "p50_ms", "p99_ms", "p999_ms", "max_ms"))
        failed = sum(r.failures for r in server.runs)
        cpu = median(server.cpu_us) if server.cpu_us else 0.0
        print(f"{server.name:<44} {rps:>8.0f} {rps / base_rps:>6.2f} {p50:>7.2f} {p99:>7.2f} "
              f"{p99 / base_p99:>9.2f} {p999:>8.2f} {worst:>7.2f} {failed:>6} {cpu:>10.0f} "
              f"{cpu / base_cpu if base_cpu else 0:>6.2f}")


def throughput(args, collector: Collector) -> None:
    print("\n## Throughput and latency (gunicorn.conf.py's workers: 2 gthread workers, wrk "
          f"-c{args.connections}, {args.rounds} x {args.duration}s per server, alternated)")
    servers = [
        start("bare Django+DRF", bare=True),
        start("full stack, tracing off"),
        start("full stack, sampled 1.0 (OTLP/gRPC)", **traced(collector, "1.0")),
        start("full stack, sampled 0.1 (OTLP/gRPC)", **traced(collector, "0.1")),
        start("full stack, rate 0 (OTLP/gRPC)", **traced(collector, "0")),
    ]
    try:
        alternate(servers, args.rounds, args.duration, args.connections)
    finally:
        stop_all(servers)
    throughput_table(servers)
    print(f"spans the collector received: {collector.spans()}")


def tuning(args, collector: Collector) -> None:
    print("\n## Export settings, sampled at 1.0 (same method as throughput, ratios to bare)")
    http = {"TRACING_EXPORTER": "otlp_http", "TRACING_ENDPOINT": collector.http_endpoint}
    variants = [(f"OTLP/gRPC, batch {size}{', delay ' + delay + ' ms' if delay else ''}",
                 {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": str(size), **({"OTEL_BSP_SCHEDULE_DELAY": delay} if delay else {})})
                for size, delay in args.batches]
    variants.append(("OTLP/HTTP, batch 512", {**http, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512"}))
    servers = [start("bare Django+DRF", bare=True)]
    servers += [start(name, **traced(collector, "1.0", **variables)) for name, variables in variants]
    try:
        alternate(servers, args.rounds, args.duration, args.connections)
    finally:
        stop_all(servers)
    throughput_table(servers)


def faults(args, collector: Collector) -> None:
    print("\n## Collector faults under load (sampled 1.0, OTLP/gRPC)")
    silent = SilentListener()
    closed = f"http://127.0.0.1:{free_port()}"
    servers = [
        start("collector healthy", **traced(collector, "1.0")),
        start("collector down (connection refused)", **traced(collector, "1.0", TRACING_ENDPOINT=closed)),
        start("collector hung (accepts, never answers)",
              **traced(collector, "1.0", TRACING_ENDPOINT=f"http://127.0.0.1:{silent.port}")),
    ]
    try:
        alternate(servers, args.rounds, args.duration, args.connections)
        healthy = servers[0]
        h_p50, h_p99 = median(r.p50_ms for r in healthy.runs), median(r.p99_ms for r in healthy.runs)
        print(f"{'collector':<44} {'requests':>9} {'failed':>6} {'p50 ms':>7} {'p50 ratio':>9} {'p99 ms':>7} "
              f"{'p99 ratio':>9}")
        for server in servers:
            p50, p99 = median(r.p50_ms for r in server.runs), median(r.p99_ms for r in server.runs)
            print(f"{server.name:<44} {sum(r.requests for r in server.runs):>9} "
                  f"{sum(r.failures for r in server.runs):>6} {p50:>7.2f} {p50 / h_p50:>9.2f} {p99:>7.2f} "
                  f"{p99 / h_p99:>9.2f}")
        # Spans are still queued in the workers: SIGTERM right after the load.
        for server in servers:
            wrk(server.url, 1, args.connections)
            print(f"stop on SIGTERM, {server.name}: {server.gunicorn.stop(timeout=60):.2f} s "
                  f"(bound: TRACING_SHUTDOWN_TIMEOUT_SECONDS=5, gunicorn graceful timeout 30 s)")
    finally:
        stop_all(servers)
        silent.stop()


def dashboard(args, collector: Collector) -> None:
    cache_seconds, duration = 2, max(args.duration, 10)
    counter = WORK / "dashboard-probes"
    counter.write_bytes(b"")
    print(f"\n## Dashboard under load (100 concurrent clients, {duration}s, gthread 2 workers x 8 threads, "
          f"HEALTH_CACHE_SECONDS={cache_seconds})")
    server = start("dashboard", path="/api/v1/health/dashboard", args=["--worker-class", "gthread", "--threads", "8"],
                   HEALTH_CACHE_SECONDS=str(cache_seconds), BENCH_COUNTING_SERVICE=str(counter))
    try:
        counter.write_bytes(b"")  # start-up checks do not count
        result = wrk(server.url, duration, 100, threads=2)
    finally:
        server.gunicorn.stop()
    probes = len(counter.read_bytes())
    bound = 2 * (math.ceil(duration / cache_seconds) + 1)
    print(f"requests {result.requests} ({result.rps:.0f}/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
          f"failed {result.failures}); service probed {probes} times; at most once per window per worker: {bound}")


def memory(args, collector: Collector) -> None:
    total, chunk = args.memory_requests, args.memory_requests // 5
    print(f"\n## Worker memory over {total} requests (sampled 1.0, OTLP/gRPC), RSS MiB of each worker")
    servers = [
        start("collector up", **traced(collector, "1.0")),
        start("collector down", **traced(collector, "1.0", TRACING_ENDPOINT=f"http://127.0.0.1:{free_port()}")),
    ]
    try:
        for server in servers:
            wrk(server.url, 3, args.connections)
            samples, served = [[round(rss_mib(pid), 1) for pid in worker_pids(server)]], 0
            while served < total:
                served += wrk_requests(server.url, chunk, args.connections)
                samples.append([round(rss_mib(pid), 1) for pid in worker_pids(server)])
            print(f"{server.name:<16} " + "  ".join("/".join(map(str, s)) for s in samples)
                  + f"   ({served} requests)")
    finally:
        stop_all(servers)


def wrk_requests(url: str, count: int, connections: int) -> int:
    """Serve at least `count` requests, in five-second wrk runs."""
    served = 0
    while served < count:
        served += wrk(url, 5, connections).requests
    return served


def workers(args, collector: Collector) -> None:
    print("\n## Worker model (tracing off; ratios to gunicorn's sync workers, the ceiling for a CPU-bound view)")
    # --threads 1 as well: gunicorn turns sync workers with more threads into gthread ones.
    variant = "bench.worker_variants."
    models = [("sync workers", {"args": ["--worker-class", "sync", "--threads", "1"]}),
              ("gthread, 64 threads", {"GUNICORN_ADMISSION_MS": "0"}),
              ("gthread + admission only", {"args": ["--worker-class", variant + "AdmissionOnly"]}),
              ("gthread + next request only", {"args": ["--worker-class", variant + "NextRequestOnly"]}),
              ("admission + next request (gunicorn.conf.py)", {})]
    models += [(f"gthread + admission, lease {ms} ms", {"GUNICORN_ADMISSION_MS": ms}) for ms in args.leases]
    if importlib.util.find_spec("gevent") is not None:
        models.append(("gevent, 1000 connections", {"args": ["--worker-class", "gevent", "--threads", "1"]}))
    for path, connections in (("/bench", args.connections), ("/bench", 64), ("/api/v1/health/dashboard", 8),
                              ("/api/v1/health/dashboard", 64)):
        print(f"\n{path}, wrk -c{connections}; load average before: {os.getloadavg()[0]:.2f}")
        servers = [start(name, path=path, **variables) for name, variables in models]
        try:
            alternate(servers, args.rounds, args.duration, connections)
        finally:
            stop_all(servers)
        throughput_table(servers)


SECTION_FUNCTIONS = {"throughput": throughput, "tuning": tuning, "faults": faults, "dashboard": dashboard,
                     "memory": memory, "workers": workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--lease", action="append", default=[], dest="leases", metavar="MS",
                        help="workers: other admission leases to compare with the default")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--batch", action="append", default=[], metavar="SIZE[:DELAY_MS]",
                        help="tuning: batch sizes (and schedule delays) to compare; default 16 to 512")
    args = parser.parse_args()
    args.batches = [tuple(item.split(":")) if ":" in item else (item, "") for item in args.batch] or [
        ("16", ""), ("64", ""), ("128", ""), ("256", ""), ("512", ""), ("512", "1000"), ("512", "200")]
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}; wrk on 127.0.0.1; work files in {WORK}")
    collector = Collector()
    try:
        for section in args.sections or SECTIONS:
            SECTION_FUNCTIONS[section](args, collector)
    finally:
        collector.stop()


if __name__ == "__main__":
    main()
