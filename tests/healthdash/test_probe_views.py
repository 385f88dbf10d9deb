"""The probes in-process: startup's latch, readiness's cases, maintenance in the dashboard and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from healthdash import maintenance, readiness
from healthdash.dashboard import dashboard_for
from healthdash.readiness import StartupLatch
from observability import lifecycle
from tests.support.processes import project_env, run_manage

pytestmark = pytest.mark.filterwarnings("ignore:No directory at")


class Switch:
    """A check whose status a test sets."""

    def __init__(self, up: bool):
        self.up = up

    def __call__(self):
        if not self.up:
            raise ConnectionRefusedError("not yet")


def test_startup_waits_for_every_startup_service_then_stays_started(registry, dashboard, healthdash_settings):
    healthdash_settings(HEALTH_CACHE_SECONDS="0")
    database, migrations = Switch(False), Switch(True)
    registry.register("database", database, tags=["startup", "ready"])
    registry.register("migrations", migrations, critical=False, tags=["startup"])
    registry.register("search", Switch(False))  # not tagged startup: never waited for
    latch = StartupLatch(dashboard)
    assert latch.started() is False
    migrations.up = False  # was up once: that counts
    database.up = True
    assert latch.started() is True
    database.up = False
    assert latch.started() is True


def test_startup_checks_only_what_it_still_waits_for(registry, dashboard, healthdash_settings):
    healthdash_settings(HEALTH_CACHE_SECONDS="0")
    calls = []
    registry.register("database", lambda: calls.append("database"), tags=["startup"])
    registry.register("slow", Switch(False), tags=["startup"])
    latch = StartupLatch(dashboard)
    latch.started(), latch.started()
    assert calls == ["database"]


def test_startup_checks_again_only_after_the_cache_period(registry, dashboard, healthdash_settings):
    healthdash_settings(HEALTH_CACHE_SECONDS="60")
    database = Switch(False)
    registry.register("database", database, tags=["startup"])
    latch = StartupLatch(dashboard)
    assert latch.started() is False
    database.up = True
    assert latch.started() is False


@pytest.fixture
def fresh_latch():
    readiness._latches.clear()
    yield
    readiness._latches.clear()


@pytest.mark.django_db
def test_startup_view(client, project_services, fresh_latch, healthdash_settings):
    healthdash_settings(HEALTH_CACHE_SECONDS="0")
    booting = Switch(False)
    project_services.register("warm_cache", booting, critical=False, tags=["startup"])
    assert (client.get("/health/startup").status_code, client.get("/health/startup").json()) == (
        503, {"status": "starting"})
    booting.up = True
    response = client.get("/health/startup")
    assert (response.status_code, response.json()) == (200, {"status": "started"})
    assert "no-store" in response["Cache-Control"]


def test_live_answers_without_the_database(client):
    assert (client.get("/health/live").status_code, client.get("/health/live").json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readiness_waits_only_for_critical_ready_services(client, project_services):
    project_services.register("batch", Switch(False), tags=["startup"])  # critical, but readiness is not its tag
    assert client.get("/health/ready").status_code == 200
    project_services.register("payments", Switch(False), tags=["ready"])
    dashboard_for().clear()
    assert (client.get("/health/ready").status_code, client.get("/health/ready").json()) == (503, {"status": "down"})


@pytest.fixture
def maintenance_off():
    yield
    # A read of the state may still run on the pool's thread; in the tests' in-memory SQLite
    # (shared cache) it holds the table, and the update would fail "table is locked". current()
    # waits for that read.
    maintenance.current()
    maintenance.turn_off()


@pytest.mark.django_db(transaction=True)
def test_maintenance_takes_readiness_out_and_leaves_liveness_and_startup(client, project_services, fresh_latch,
                                                                         maintenance_off):
    maintenance.turn_on(retry_after=120, reason="moving the database")
    response = client.get("/health/ready")
    assert (response.status_code, response.json(), response["Retry-After"]) == (503, {"status": "maintenance"}, "120")
    assert client.get("/health").status_code == client.get("/health/live").status_code == 200
    assert client.get("/health/startup").status_code == 200
    maintenance.turn_off()
    assert (client.get("/health/ready").status_code, client.get("/health/ready").has_header("Retry-After")) == (
        200, False)


@pytest.mark.django_db(transaction=True)
def test_a_draining_process_answers_draining_even_in_maintenance(client, monkeypatch, maintenance_off):
    maintenance.turn_on(retry_after=120)
    monkeypatch.setattr(lifecycle, "_drain_ends", 0.0)  # as a SIGTERM leaves it
    response = client.get("/health/ready")
    assert (response.status_code, response.json(), response.has_header("Retry-After")) == (
        503, {"status": "draining"}, False)


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_maintenance_and_its_reason_to_staff_only(client, staff_user, project_services,
                                                                      maintenance_off):
    state = maintenance.turn_on(reason="moving the database", by="ops")
    anonymous = client.get("/api/v1/health/dashboard").json()["maintenance"]
    assert anonymous == {"on": True, "since": anonymous["since"]} and anonymous["since"].endswith("Z")
    client.force_login(staff_user)
    detailed = client.get("/api/v1/health/dashboard?refresh=1").json()["maintenance"]
    assert detailed == {**anonymous, "reason": "moving the database", "by": "ops", "retry_after": 300}
    assert state.since is not None


@pytest.mark.django_db(transaction=True)
def test_since_is_kept_while_maintenance_stays_on(maintenance_off):
    first = maintenance.turn_on(reason="a")
    assert maintenance.turn_on(reason="b").since == first.since


@pytest.mark.django_db(transaction=True)
def test_the_command_switches_maintenance(maintenance_off):
    def health(*args) -> str:
        out = StringIO()
        call_command("health", "maintenance", *args, stdout=out)
        return out.getvalue()

    assert health("status") == "maintenance: off\n"
    on = health("on", "--retry-after", "60", "--reason", "upgrade")
    assert on.startswith("maintenance: on since ") and on.endswith("Retry-After 60 s: upgrade\n")
    assert "(command line)" in on or "by command line" in on
    assert health("status") == on
    assert health("off") == "maintenance: off\n"


@pytest.mark.django_db(transaction=True)
def test_readiness_sends_retry_after_300_when_the_command_names_none(client, project_services, maintenance_off):
    out = StringIO()
    call_command("health", "maintenance", "on", stdout=out)
    assert out.getvalue().endswith("Retry-After 300 s\n")
    response = client.get("/health/ready")
    assert (response.status_code, response["Retry-After"]) == (503, "300")


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ("maintenance", "sideways"), ("maintenance",), ("maintenance", "on", "--retry-after", "-5"),
    ("maintenance", "on", "--retry-after", "soon"), ("sideways",),
])
def test_usage_errors_exit_2_without_a_traceback(args, migrated_db_url):
    result = run_manage("health", *args, env=project_env(DATABASE_URL=migrated_db_url))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "usage: manage.py health" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_read_of_the_switch_done_before_its_callback_is_added_does_not_hang(monkeypatch):
    """A database failing at once can end the read before ``submit()`` returns: the caller must not wait on itself."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from healthdash import maintenance

    class FinishingFirst(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            future = super().submit(*args, **kwargs)
            future.exception()  # done before the caller sees it, as a fast failure may be
            return future

    pool = FinishingFirst(1)
    monkeypatch.setattr(maintenance, "shared_pool", lambda: pool)
    follower = maintenance.Follower()
    answered = []
    caller = threading.Thread(target=lambda: answered.append(follower.current()), daemon=True)
    caller.start()
    caller.join(10)
    pool.shutdown(wait=False)
    assert answered == [maintenance.State()], "the caller deadlocked on the follower's own lock"
