"""The fleet's history and webhook under two real gunicorn instances (2 workers each) on PostgreSQL and Redis.

A service of the test (``search_index``) reads its status from a file the test writes; each
``?refresh=1`` call with a key is one real run of the checks in whichever worker answers, so the
test decides how many runs see each status. The webhook receiver is a real HTTP server in the
test process that can answer 200, 500 or nothing. The state row of the service in PostgreSQL
(its status and how many runs have seen it) tells when a worker's history thread has recorded a run.
"""

from __future__ import annotations

import json
import re
import signal
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import Gunicorn, free_port, http_get, project_env, run_manage, timed_get
from tests.support.switch import DOWN_REASON, write_status
from tests.support.webhooks import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "fleet-history-e2e-key-3c9d0a7e"
SERVICE = "search_index"
DASHBOARD, HISTORY = "/api/v1/health/dashboard", "/api/v1/health/history"
DEADLINE = 2  # HEALTH_DEADLINE: a whole run's bound, and each webhook attempt's
HEADERS = {"X-API-Key": KEY}


def drop_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def fresh_database(postgres_url: str) -> str:
    """A database of this module's own next to `postgres_url`'s, created empty and migrated."""
    import psycopg

    parts = urllib.parse.urlsplit(postgres_url)
    url = parts._replace(path=f"{parts.path}_fleet_history_e2e").geturl()
    drop_database(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{urllib.parse.urlsplit(url).path.lstrip("/")}"')
    result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=url), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


class Fleet:
    """The shared database and cache, the switch files, the webhook receiver, and the instances started."""

    def __init__(self, tmp_path_factory, database_url: str, cache_url: str, webhook: WebhookReceiver):
        self.tmp = tmp_path_factory
        self.database_url, self.cache_url, self.webhook = database_url, cache_url, webhook
        self.switches = tmp_path_factory.mktemp("switches")
        for name in (SERVICE, "payments"):
            write_status(self.switches / name, "up")
        self.instances: list[Gunicorn] = []
        self.stopped: list[Gunicorn] = []

    def start(self, count: int = 1, workers: int = 2) -> None:
        """Start `count` instances side by side, and wait until each answers."""
        env = project_env(
            DJANGO_SETTINGS_MODULE="tests.e2e.health_page_settings", HEALTH_SWITCH_DIR=str(self.switches),
            DATABASE_URL=self.database_url, CACHE_URL=self.cache_url, WEB_CONCURRENCY=str(workers),
            CHIMERA_API_KEYS=KEY, HEALTH_CACHE_SECONDS="1", HEALTH_DEADLINE=str(DEADLINE),
            HEALTH_NOTIFY_AFTER="3", HEALTH_WEBHOOK_URL=self.webhook.url, LOG_LEVEL="DEBUG",
        )
        servers = [Gunicorn(env=env, log_dir=self.tmp.mktemp("gunicorn-fleet")) for _ in range(count)]
        self.instances += servers
        for server in servers:
            server.start(wait_path=None)
        for server in servers:
            server.wait_until_ready("/health", 60)

    def stop_all(self) -> None:
        """Stop every instance, all at once (SIGTERM to each, then wait for each)."""
        for server in self.instances:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in self.instances:
            server.stop()
        self.stopped += self.instances
        self.instances = []

    def switch(self, status: str) -> None:
        write_status(self.switches / SERVICE, status)

    def state(self) -> tuple[str, str, int] | None:
        """The service's row: (status, notified, runs seen), as the fleet recorded it."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute("SELECT status, notified, streak FROM healthdash_servicestate "
                                      "WHERE service = %s", (SERVICE,)).fetchone()

    def run(self, index: int) -> float:
        """One real run of the checks on instance `index` (either of its workers); the seconds it took."""
        server = self.instances[index % len(self.instances)]
        status, seconds = timed_get(server.url + DASHBOARD + "?refresh=1", timeout=30, headers=HEADERS)
        assert status in (200, 503), status
        return seconds

    def run_until(self, index: int, expected: tuple[str, str, int], timeout: float = 15) -> None:
        """A run, then wait until its worker has recorded it: the row reads `expected`."""
        self.run(index)
        deadline = time.monotonic() + timeout
        while self.state() != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.state() == expected

    def history(self, index: int = 0, **params: str) -> list[dict]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, _, body = http_get(self.instances[index].url + HISTORY + query, headers=HEADERS)
        assert status == 200, body
        return json.loads(body)["transitions"]

    def notifications(self) -> list[dict]:
        return [body for body in self.webhook.received() if body.get("service") == SERVICE]

    def metric(self, name: str, **labels: str) -> float:
        """`name` summed over the instances' /metrics (each aggregates its own workers)."""
        label_text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        pattern = re.compile(rf"^{name}(?:{{{re.escape(label_text)}}})? ([0-9.e+]+)$", re.MULTILINE)
        total = 0.0
        for server in self.instances:
            text = http_get(server.url + "/metrics", headers=HEADERS)[2].decode()
            total += sum(float(value) for value in pattern.findall(text))
        return total


@pytest.fixture(scope="module")
def webhook():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, postgres_url, redis_url, webhook):
    fleet = Fleet(tmp_path_factory, fresh_database(postgres_url), redis_url, webhook)
    try:
        fleet.start(2)
        fleet.run_until(0, ("up", "up", 3))  # the first status the fleet sees: where it starts
        yield fleet
    finally:
        fleet.stop_all()
        drop_database(fleet.database_url)


def wait_for(condition, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_a_change_that_holds_is_recorded_once_and_notified_once_and_so_is_its_recovery(fleet):
    fleet.switch("down")
    fleet.run_until(0, ("down", "up", 1))   # the run that first sees it counts as the first of three
    fleet.run_until(1, ("down", "up", 2))
    fleet.run_until(0, ("down", "down", 3))  # held: notified
    for index in range(6):                  # further runs on every worker: nothing more to say
        fleet.run(index)
    assert wait_for(lambda: len(fleet.notifications()) >= 1)
    time.sleep(1)
    [down] = fleet.notifications()
    assert (down["status"], down["previous"]) == ("down", "up")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", down["at"])
    for index in (0, 1):  # every instance reads the one history of the fleet
        [change] = fleet.history(index, service=SERVICE)
        assert (change["from"], change["to"], change["reason"]) == ("up", "down", f"ConnectionError: {DOWN_REASON}")

    fleet.switch("up")
    fleet.run_until(1, ("up", "down", 1))
    fleet.run_until(0, ("up", "down", 2))
    fleet.run_until(1, ("up", "up", 3))
    for index in range(6):
        fleet.run(index)
    assert wait_for(lambda: len(fleet.notifications()) >= 2)
    time.sleep(1)
    assert [(n["status"], n["previous"]) for n in fleet.notifications()] == [("down", "up"), ("up", "down")]
    assert [(c["from"], c["to"]) for c in fleet.history(1, service=SERVICE)] == [("down", "up"), ("up", "down")]
    assert fleet.history(0, service="payments") == []


def test_a_flap_is_in_the_history_and_never_notified(fleet):
    before = len(fleet.notifications())
    fleet.switch("degraded")
    fleet.run_until(0, ("degraded", "up", 1))
    fleet.run_until(1, ("degraded", "up", 2))
    fleet.switch("up")                       # back before it held for three runs
    fleet.run_until(0, ("up", "up", 1))
    for index in range(8):
        fleet.run(index)
    time.sleep(2)
    assert len(fleet.notifications()) == before
    assert [(c["from"], c["to"]) for c in fleet.history(0, service=SERVICE)[:2]] == [("degraded", "up"),
                                                                                     ("up", "degraded")]


def change_at_once(fleet: Fleet, status: str) -> None:
    """Switch the service to `status`, with every worker of both instances running the checks at the same time."""
    fleet.switch(status)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fleet.run, range(8)))
    for index in range(8):  # a worker may have served several of those from one run: run until it held
        if wait_for(lambda: fleet.state() == (status, status, 3), timeout=1):
            break
        fleet.run(index)
    assert wait_for(lambda: fleet.state() == (status, status, 3)), fleet.state()


def test_runs_of_every_worker_at_once_record_a_change_once_and_notify_it_once(fleet):
    notified, changes = len(fleet.notifications()), len(fleet.history(0, service=SERVICE))
    change_at_once(fleet, "down")
    assert wait_for(lambda: len(fleet.notifications()) > notified)
    change_at_once(fleet, "up")
    assert wait_for(lambda: len(fleet.notifications()) > notified + 1)
    time.sleep(1)
    assert [(n["status"], n["previous"]) for n in fleet.notifications()[notified:]] == [("down", "up"),
                                                                                        ("up", "down")]
    assert [(c["from"], c["to"]) for c in fleet.history(0, service=SERVICE)[:2]] == [("down", "up"), ("up", "down")]
    assert len(fleet.history(0, service=SERVICE)) == changes + 2


def test_a_hanging_or_failing_webhook_never_delays_a_run_and_its_retries_are_bounded(fleet):
    webhook = fleet.webhook
    webhook.mode = "hang"
    attempts = len(webhook.deliveries)
    fleet.switch("down")
    fleet.run_until(1, ("down", "up", 1))
    fleet.run_until(0, ("down", "up", 2))
    fleet.run_until(1, ("down", "down", 3))
    assert wait_for(lambda: len(webhook.deliveries) > attempts)  # the POST is out, and gets no answer
    # While it hangs, runs take no longer, and a new change is recorded and counted as usual.
    fleet.switch("up")
    seconds = [fleet.run(index) for index in range(4)]
    assert max(seconds) < DEADLINE, seconds  # one attempt alone would hold a run this long
    assert wait_for(lambda: fleet.state() == ("up", "up", 3)), fleet.state()  # notified, though the POST waits
    webhook.mode = "error"
    # The hung notification: three attempts of DEADLINE seconds; the recovery: three 500s. Then no more.
    assert wait_for(lambda: fleet.metric("health_webhook_deliveries_total", outcome="failed") >= 2, timeout=30)
    time.sleep(1)
    assert len(webhook.deliveries) - attempts == 6
    assert fleet.metric("health_webhook_retries_total") == 4
    assert fleet.metric("health_webhook_deliveries_total", outcome="failed") == 2
    webhook.mode = "ok"


def test_history_answers_503_in_the_envelope_when_the_database_is_down(tmp_path):
    env = project_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/gone", WEB_CONCURRENCY="1",
                      CHIMERA_API_KEYS=KEY, HEALTH_DEADLINE="2")
    with Gunicorn(env=env, log_dir=tmp_path / "gunicorn") as server:
        assert http_get(server.url + "/health")[0] == 200
        status, headers, body = http_get(server.url + HISTORY, headers=HEADERS)
        assert (status, headers["content-type"]) == (503, "application/json")
        error = json.loads(body)["error"]
        assert error["code"] == "history_unavailable" and error["request_id"] == headers["x-request-id"]
        status, _, body = http_get(server.url + DASHBOARD + "?refresh=1", headers=HEADERS)
        assert status == 503 and json.loads(body)["services"]["database"]["status"] == "down"
        assert http_get(server.url + HISTORY)[0] == 401


def test_the_history_survives_stopping_both_instances_and_a_new_one_starting(fleet):
    recorded = fleet.history(0)
    assert len(recorded) >= 6
    fleet.stop_all()
    fleet.start(1, workers=1)
    assert fleet.history(0) == recorded
    fleet.run_until(0, ("up", "up", 3))  # as the fleet left it: no change recorded, none notified again
    time.sleep(1)
    assert fleet.history(0) == recorded
    # The webhook's URL, with its token, never appears in a response or a log line of any instance.
    token = fleet.webhook.path.rsplit("/", 1)[-1]
    outputs = [server.output() for server in fleet.stopped + fleet.instances]
    responses = [http_get(fleet.instances[0].url + path, headers=HEADERS)[2].decode()
                 for path in (DASHBOARD, HISTORY, "/metrics")]
    for text in outputs + responses:
        assert token not in text and fleet.webhook.url not in text
