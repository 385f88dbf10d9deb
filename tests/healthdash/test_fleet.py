"""The fleet's records: in the real shared cache (Redis) or the database, heartbeats, and the fleet view."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from healthdash import fleet_api
from healthdash.fleet import INDEX_KEY, PRUNE_EVERY, CacheStore, DatabaseStore, Instance, fleet_store, shared_cache
from healthdash.heartbeat import Heartbeat, heartbeat, start_on_first_request
from healthdash.models import Instance as InstanceRow
from tests.support.processes import free_port

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
FLEET = "/api/v1/health/fleet"
BEAT = 10.0


def redis_caches(url: str) -> dict:
    return {"default": {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": f"fleet-{uuid.uuid4().hex}",
                        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


@pytest.fixture
def shared(settings, redis_url):
    """The default cache is the real Redis (a key prefix of this test's own); emptied afterwards."""
    settings.CACHES = redis_caches(redis_url)
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def unreachable(settings):
    """The default cache is a Redis nothing listens for."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")


def instance(number: int, seen_ago: float = 0.0, started_ago: float = 60.0) -> Instance:
    moment = datetime.now(UTC)
    return Instance(f"id-{number}", "host-a", 1000 + number, "1.2.3", moment - timedelta(seconds=started_ago),
                    moment - timedelta(seconds=seen_ago))


@pytest.mark.parametrize(("backend", "is_shared"), [
    ("django.core.cache.backends.locmem.LocMemCache", False), ("django.core.cache.backends.dummy.DummyCache", False),
    (REDIS_BACKEND, True), ("django.core.cache.backends.db.DatabaseCache", True),
    ("django.core.cache.backends.memcached.PyMemcacheCache", True),
])
def test_which_caches_a_fleet_shares(settings, backend, is_shared):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}
    assert shared_cache() is is_shared
    assert isinstance(fleet_store(), CacheStore if is_shared else DatabaseStore)


def test_states_live_then_stale_after_three_beats_then_gone_after_ten(shared):
    store = CacheStore()
    for number, seen_ago in enumerate((0, 2.9 * BEAT, 3.1 * BEAT, 10.5 * BEAT)):
        store.record(instance(number, seen_ago), BEAT)
    now = datetime.now(UTC)
    states = {i.id: i.state(now, BEAT) for i in store.instances(now, BEAT)}
    assert states == {"id-0": "live", "id-1": "live", "id-2": "stale"}


def test_cache_records_expire_after_ten_beats(shared):
    store = CacheStore()
    store.record(instance(1), 0.1)  # expires after one second
    assert [i.id for i in store.instances(datetime.now(UTC), 0.1)] == ["id-1"]
    time.sleep(1.3)
    assert store.instances(datetime.now(UTC), 0.1) == []


def test_processes_joining_at_once_all_end_in_the_index(shared):
    stores = [CacheStore() for _ in range(8)]
    threads = [threading.Thread(target=store.record, args=(instance(n), BEAT)) for n, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(3):  # a process the lock turned away joins at its next beat
        for n, store in enumerate(stores):
            store.record(instance(n), BEAT)
    assert sorted(i.id for i in CacheStore().instances(datetime.now(UTC), BEAT)) == [f"id-{n}" for n in range(8)]


def test_a_joining_process_drops_the_ids_of_expired_records_from_the_index(shared):
    store = CacheStore()
    store.record(instance(1), BEAT)
    store.forget("id-1")
    store.record(instance(2), BEAT)
    assert shared.get(INDEX_KEY) == ["id-2"]


def test_a_heartbeat_with_a_shared_cache_writes_nothing_to_the_database(shared, db):
    beat = Heartbeat()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            beat.beat()
    assert len(queries) == 0
    me = CacheStore().instances(datetime.now(UTC), BEAT)
    assert [(i.pid, i.version) for i in me] == [(os.getpid(), "unknown")]


def test_database_store_one_row_per_process_updated_each_beat(settings, db):
    settings.CACHES = LOCMEM
    settings.HEALTHDASH = {"SERVICE_VERSION": "2.0.1"}
    beat = Heartbeat()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            beat.beat()
    writes = [q["sql"].split()[0] for q in queries if not q["sql"].startswith("SELECT")]
    assert writes == ["INSERT"] * 3, writes  # one upsert a beat: INSERT ... ON CONFLICT DO UPDATE
    row = InstanceRow.objects.get()
    assert (row.pid, row.version) == (os.getpid(), "2.0.1")
    assert [i.id for i in DatabaseStore().instances(datetime.now(UTC), BEAT)] == [row.id]


def test_database_store_leaves_out_and_prunes_processes_gone(settings, db):
    DatabaseStore().record(instance(1, seen_ago=11 * BEAT), BEAT)  # a process gone for good
    store = DatabaseStore()
    store.record(instance(3), BEAT)
    assert sorted(i.id for i in store.instances(datetime.now(UTC), BEAT)) == ["id-3"]  # left out at once
    for _ in range(PRUNE_EVERY - 2):
        store.record(instance(2), BEAT)
    assert InstanceRow.objects.count() == 3
    store.record(instance(2), BEAT)  # the tenth beat prunes
    assert sorted(InstanceRow.objects.values_list("id", flat=True)) == ["id-2", "id-3"]


def test_the_heartbeat_thread_beats_in_this_process_until_stopped(shared):
    beat = Heartbeat()
    shared.set("healthdash-test", 1)
    assert beat.start() and not beat.start() and beat.running
    try:
        deadline = time.monotonic() + 10
        while not CacheStore().instances(datetime.now(UTC), BEAT) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(CacheStore().instances(datetime.now(UTC), BEAT)) == 1
    finally:
        beat.stop()
    assert not beat.running


def test_a_store_that_fails_never_raises_from_a_beat(unreachable):
    Heartbeat().beat()


@pytest.mark.parametrize(("kwargs", "starts"), [
    ({"environ": {"SERVER_NAME": "testserver"}}, False),
    ({"environ": {"SERVER_NAME": "testserver", "SERVER_SOFTWARE": "x"}}, False),
    ({"environ": {"SERVER_NAME": "app.internal", "SERVER_SOFTWARE": "gunicorn/23.0.0"}}, True),
    ({"scope": {"server": ("testserver", 80)}}, False),
    ({"scope": {"server": ("10.0.0.5", 8000)}}, True),
    ({"scope": {}}, False),
])
def test_only_a_real_servers_first_request_starts_the_heartbeat(monkeypatch, kwargs, starts):
    started = []
    monkeypatch.setattr(heartbeat, "start", lambda: started.append(True))
    start_on_first_request(sender=None, **kwargs)
    assert bool(started) is starts


def test_the_test_client_never_starts_the_heartbeat(client, db):
    client.get("/health")
    assert not heartbeat.running


class TestFleetView:
    @pytest.fixture
    def api(self, api_keys, db):
        """A client; the view asks the database whether it answers."""
        return APIClient()

    def test_anonymous_401_other_users_403(self, api, django_user_model, shared):
        assert api.get(FLEET).status_code == 401
        api.force_login(django_user_model.objects.create_user("someone", password="pw-0123456789"))
        response = api.get(FLEET)
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"

    def test_lists_the_processes_for_an_api_key(self, api, api_keys, shared):
        store = CacheStore()
        store.record(instance(1, seen_ago=4 * BEAT, started_ago=100), BEAT)
        store.record(instance(2, started_ago=50), BEAT)
        response = api.get(FLEET, HTTP_X_API_KEY=api_keys[0])
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        body = response.json()
        assert body["count"] == 2
        assert [(i["id"], i["pid"], i["version"], i["state"]) for i in body["instances"]] == [
            ("id-1", 1001, "1.2.3", "stale"), ("id-2", 1002, "1.2.3", "live")]
        assert body["instances"][0]["last_seen"].endswith("Z") and set(body["instances"][0]) == {
            "id", "host", "pid", "version", "started_at", "last_seen", "state"}

    def test_staff_sees_the_database_fleet(self, client, staff_user, settings):
        settings.CACHES = LOCMEM
        DatabaseStore().record(instance(7), BEAT)
        client.force_login(staff_user)
        assert [i["id"] for i in client.get(FLEET).json()["instances"]] == ["id-7"]

    def test_cache_down_is_a_503_in_the_envelope(self, api, api_keys, unreachable, caplog):
        response = api.get(FLEET, HTTP_X_API_KEY=api_keys[0])
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "fleet_unavailable"
        assert response.json()["error"]["request_id"]

    def test_database_down_is_a_503_even_with_the_records_in_the_shared_cache(self, api, api_keys, shared, settings,
                                                                              monkeypatch):
        CacheStore().record(instance(3), BEAT)
        assert api.get(FLEET, HTTP_X_API_KEY=api_keys[0]).json()["count"] == 1
        settings.DATABASES = {**settings.DATABASES, "down": {
            **settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
            "PORT": str(free_port()), "NAME": "fleet", "USER": "nobody", "TEST": {"NAME": "fleet"}}}
        monkeypatch.setattr(fleet_api, "DATABASE", "down")
        response = api.get(FLEET, HTTP_X_API_KEY=api_keys[0])
        assert (response.status_code, response.json()["error"]["code"]) == (503, "fleet_unavailable")

    def test_database_down_is_a_503_in_the_envelope(self, api, api_keys, settings, monkeypatch):
        settings.CACHES = LOCMEM
        settings.DATABASES = {**settings.DATABASES, "down": {
            **settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
            "PORT": str(free_port()), "NAME": "fleet", "USER": "nobody", "TEST": {"NAME": "fleet"}}}
        monkeypatch.setattr(fleet_api, "fleet_store", lambda: DatabaseStore(using="down"))
        response = api.get(FLEET, HTTP_X_API_KEY=api_keys[0])
        assert (response.status_code, response.json()["error"]["code"]) == (503, "fleet_unavailable")


def test_a_worker_that_stops_leaves_the_fleet_at_once(shared):
    beat = Heartbeat()
    beat.start()
    try:
        assert wait_for_records(1)
        beat.leave()
        assert not beat.running
        assert CacheStore().instances(datetime.now(UTC), BEAT) == []
    finally:
        beat.stop()


def test_leaving_waits_at_most_a_moment_for_a_store_that_hangs(settings, db):
    from tests.support.listeners import SilentListener

    with SilentListener() as silent:
        settings.CACHES = redis_caches(f"redis://127.0.0.1:{silent.port}/0")
        settings.CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 30, "socket_timeout": 30}
        beat = Heartbeat()
        beat.start()
        started = time.monotonic()
        beat.leave(wait=0.3)
        assert time.monotonic() - started < 2


def wait_for_records(count: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while len(CacheStore().instances(datetime.now(UTC), BEAT)) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(CacheStore().instances(datetime.now(UTC), BEAT)) == count
