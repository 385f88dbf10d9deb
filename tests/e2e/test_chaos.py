"""Chaos: a minute of mixed traffic while the cache, the broker and the collector go down and come back, and a reload.

gunicorn as bin/serve runs it (gunicorn.conf.py, 2 workers), a Redis of the test's own as the
cache, another as the task broker (frozen with SIGSTOP for a while: it accepts connections and
never answers), a real OTLP/HTTP collector, a stand-in provider that trickles and one that nests its
answers. Traffic: valid calls, hostile headers and bodies, 50 slow and idle connections. Near
the end the master gets SIGHUP (a reload: two new workers, the old ones leaving once the new ones
have loaded) while the traffic goes on, and /metrics is scraped throughout.
Afterwards: no worker was killed, no 5xx but the providers' documented 502/503/504, no
connection refused or reset, worker memory grew less than 10 % (up to the reload), every
response carried an X-Request-ID, every scrape answered and the summed request counts never
went back, reload included. Async generations may answer 503 (``queue_unavailable``) while the
broker is frozen, and nothing else may.

Hostile input here is what reaches the application; a request head gunicorn itself cannot parse
(a header over its size limit, a malformed request line) gets gunicorn's own 400, before any
application code, and so no X-Request-ID.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.chat_server import ChatCompletionsServer
from tests.support.hostile import SlowClients
from tests.support.processes import Gunicorn, project_env
from tests.support.receivers import OTLPHttpReceiver
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120, func_only=True)]

API_KEY = "chaos-key-0123456789abcdef"
TRAFFIC_SECONDS = 60
WARM_UP_SECONDS = 15  # every kind of request served, and the threads started, before memory is measured
RELOAD_AT = 49  # seconds into the traffic: the new workers serve its last seconds
SCRAPE_INTERVAL = 0.5
DRIVERS = 3
PROVIDER_STATUSES = frozenset({502, 503, 504})
QUEUE_STATUSES = frozenset({503})  # the broker frozen: queue_unavailable
NONE = frozenset()


@dataclass
class Outcomes:
    """What the drivers saw."""

    statuses: Counter = field(default_factory=Counter)
    by_label: Counter = field(default_factory=Counter)
    without_request_id: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, status: int, headers: dict[str, str], allowed: frozenset[int]) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_label[label, status] += 1
            if "x-request-id" not in headers:
                self.without_request_id.append(f"{label} {status}")
            if status >= 500 and status not in allowed:
                self.server_errors.append(f"{label} {status}")


def requests() -> itertools.cycle:
    """(label, method, path, body, headers, options, 5xx statuses allowed) in a fixed rotation.

    A body is bytes, None, or a function that makes a fresh iterator of chunks.
    """
    key = {"X-API-Key": API_KEY}
    as_json = {"Content-Type": "application/json"}
    nested = ('{"prompt":"x","a":' + "[" * 50_000 + "]" * 50_000 + "}").encode()
    return itertools.cycle([
        ("generate", "POST", "/api/v1/generate", b'{"prompt": "hello"}', {**key, **as_json}, {}, NONE),
        ("health", "GET", "/health", None, {}, {}, NONE),
        ("dashboard", "GET", "/api/v1/health/dashboard", None, {}, {}, NONE),
        ("trickling provider", "POST", "/api/v1/generate", b'{"prompt": "hi", "provider": "openai"}',
         {**key, **as_json}, {}, PROVIDER_STATUSES),
        ("async generate", "POST", "/api/v1/generate", b'{"prompt": "later", "async": true}', {**key, **as_json}, {},
         QUEUE_STATUSES),
        ("nesting provider", "POST", "/api/v1/generate", b'{"prompt": "hi", "provider": "google"}',
         {**key, **as_json}, {}, PROVIDER_STATUSES),
        ("nested body", "POST", "/api/v1/generate", nested, {**key, **as_json}, {}, NONE),
        ("chunked body", "POST", "/api/v1/generate", lambda: iter([b'{"prompt":', b' "chunks"}']),
         {**key, **as_json, "Transfer-Encoding": "chunked"}, {"encode_chunked": True}, NONE),
        ("huge body", "POST", "/api/v1/generate", b'{"prompt": "' + b"x" * 3_000_000 + b'"}', {**key, **as_json},
         {}, NONE),
        ("wrong key", "POST", "/api/v1/generate", b'{"prompt": "hi"}', {"X-API-Key": "guess", **as_json}, {}, NONE),
        ("bad host", "GET", "/api/v1/health/dashboard", None, {"Host": "scanner.example"}, {}, NONE),
        ("bad request id", "GET", "/health", None, {"X-Request-ID": "x" * 300 + "' OR 1=1"}, {}, NONE),
        ("probe put", "PUT", "/health/ready", b"{}", as_json, {}, NONE),
        ("xml", "POST", "/api/v1/generate?format=xml", b'{"prompt": "hi"}', {**key, **as_json}, {}, NONE),
        ("dashboard with key", "GET", "/api/v1/health/dashboard", None, key, {}, NONE),
    ])


def drive(port: int, until: float, outcomes: Outcomes, rotation: itertools.cycle, lock: threading.Lock) -> None:
    while time.monotonic() < until:
        with lock:
            label, method, path, body, headers, options, allowed = next(rotation)
        if callable(body):
            body = body()  # a fresh iterator for every chunked call
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers, **options)
            response = connection.getresponse()
            response.read()
            outcomes.add(label, response.status, {k.lower(): v for k, v in response.getheaders()}, allowed)
        except OSError as exc:
            with outcomes.lock:
                outcomes.server_errors.append(f"{label} {type(exc).__name__}")
        finally:
            connection.close()


REQUEST_COUNTS = re.compile(r"^http_server_request_duration_seconds_count\{[^}]*\} (\S+)$", re.MULTILINE)


def scrape_counts(port: int, until: float, counts: list[float], failures: list[str]) -> None:
    """The summed request counts of /metrics, in order, until `until`; what kept a scrape from answering."""
    while time.monotonic() < until:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
            response = connection.getresponse()
            body = response.read().decode()
            if response.status == 200:
                counts.append(sum(float(value) for value in REQUEST_COUNTS.findall(body)))
            else:
                failures.append(f"/metrics {response.status}")
        except OSError as exc:
            failures.append(f"/metrics {type(exc).__name__}")
        finally:
            connection.close()
        time.sleep(SCRAPE_INTERVAL)


def worker_pids(master_pid: int) -> set[int]:
    return set(map(int, Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()))


def worker_rss(master_pid: int) -> dict[int, int]:
    """Resident memory (kB) of each worker of the master."""
    sizes = {}
    for pid in worker_pids(master_pid):
        status = Path(f"/proc/{pid}/status").read_text()
        sizes[pid] = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1])
    return sizes


def test_a_minute_of_chaos(tmp_path, migrated_db_url):
    with (ChatCompletionsServer() as provider, RedisServer(tmp_path / "redis") as redis,
          RedisServer(tmp_path / "broker") as broker):
        collectors = [OTLPHttpReceiver()]
        env = project_env(
            DATABASE_URL=migrated_db_url, CACHE_URL=redis.url(5), CHIMERA_API_KEYS=API_KEY,
            CHIMERA_PROVIDER_OPENAI_URL=provider.url("trickle"), CHIMERA_PROVIDER_OPENAI_API_KEY="chaos-openai",
            CHIMERA_PROVIDER_OPENAI_TIMEOUT="2", CHIMERA_PROVIDER_GOOGLE_URL=provider.url("nested"),
            CHIMERA_PROVIDER_GOOGLE_API_KEY="chaos-google", CELERY_BROKER_URL=broker.url(0),
            TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http",
            TRACING_ENDPOINT=collectors[0].endpoint, TRACING_EXPORT_TIMEOUT_SECONDS="2", HEALTH_CACHE_SECONDS="2",
            MALLOC_ARENA_MAX="2",  # as bin/serve runs gunicorn
        )
        server = Gunicorn(env=env, log_dir=tmp_path / "gunicorn").start()
        master = server.process.pid
        sizes: dict[str, object] = {}
        # Seconds into the traffic: the cache goes down and comes back, then the collector does,
        # and the broker freezes meanwhile; the workers' memory is measured, then the master reloads.
        timeline = [(WARM_UP_SECONDS, lambda: sizes.update(before=worker_rss(master))),
                    (18, redis.stop), (31, redis.start), (34, collectors[-1].stop),
                    (36, lambda: os.kill(broker.process.pid, signal.SIGSTOP)),
                    (44, lambda: os.kill(broker.process.pid, signal.SIGCONT)),
                    (47, lambda: collectors.append(OTLPHttpReceiver(collectors[0].port))),
                    (RELOAD_AT - 1, lambda: sizes.update(after=worker_rss(master))),
                    (RELOAD_AT, lambda: (sizes.update(scrapes=len(counts)), os.kill(master, signal.SIGHUP)))]
        outcomes, rotation, lock = Outcomes(), requests(), threading.Lock()
        counts: list[float] = []
        scrape_failures: list[str] = []
        started = time.monotonic()
        try:
            with SlowClients(server.port, 50):
                drivers = [threading.Thread(target=drive, args=(server.port, started + TRAFFIC_SECONDS, outcomes,
                                                                rotation, lock)) for _ in range(DRIVERS)]
                drivers.append(threading.Thread(target=scrape_counts, args=(server.port, started + TRAFFIC_SECONDS,
                                                                            counts, scrape_failures)))
                for driver in drivers:
                    driver.start()
                for at, action in timeline:
                    time.sleep(max(0.0, started + at - time.monotonic()))
                    action()
                for driver in drivers:
                    driver.join(timeout=TRAFFIC_SECONDS)
            # The old workers leave once the new ones have loaded and their connections have ended
            # (the slow clients' included, or at GUNICORN_GRACEFUL_TIMEOUT): a bounded wait for that.
            traffic_ended = time.monotonic()
            deadline = traffic_ended + 30
            while ((workers_after_reload := worker_pids(master)) & set(sizes["before"])
                   and time.monotonic() < deadline):
                time.sleep(0.2)
            old_workers_left = time.monotonic() - traffic_ended
            scrape_counts(server.port, time.monotonic() + SCRAPE_INTERVAL, counts, scrape_failures)
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
            server.stop()
            collectors[-1].stop()
    log = server.stderr()

    assert sum(outcomes.statuses.values()) > 200, outcomes.statuses
    assert outcomes.server_errors == [], outcomes.statuses
    assert outcomes.without_request_id == []
    assert "WORKER TIMEOUT" not in log and log.count("Booting worker") == 4, log[-2000:]
    before, after = sizes["before"], sizes["after"]
    assert set(after) == set(before)  # the same two workers up to the reload...
    assert len(workers_after_reload) == 2 and not workers_after_reload & set(before)  # ...two new ones after it
    growth = {pid: round(after[pid] / before[pid], 3) for pid in before}
    assert max(growth.values()) < 1.10, (before, after)
    assert {200, 400, 401, 405, 406, 413, 429, 502, 504} <= set(outcomes.statuses), outcomes.statuses
    # Published while the broker answered, 503 while it was frozen (each within the drivers' 15 s).
    assert outcomes.by_label["async generate", 202] and outcomes.by_label["async generate", 503], outcomes.by_label
    # Spans reached the collector before it went down and after it came back.
    assert collectors[0].spans() and collectors[-1].spans()
    # Counters never go back while the master lives, reload included; the new workers count on.
    assert scrape_failures == [] and len(counts) > TRAFFIC_SECONDS / 2, (scrape_failures, len(counts))
    assert [(a, b) for a, b in itertools.pairwise(counts) if b < a] == [], counts
    assert counts[-1] > counts[sizes["scrapes"] - 1] > 0, counts
    print(f"chaos: {dict(outcomes.statuses)}, worker RSS kB {before} -> {after} ({growth}), "
          f"request counts {counts[0]:.0f} -> {counts[-1]:.0f} in {len(counts)} scrapes, the reload's at "
          f"{counts[sizes['scrapes'] - 1]:.0f}; old workers gone {old_workers_left:.1f} s after the traffic")
