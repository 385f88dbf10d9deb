"""Built-in probes against the real PostgreSQL and Redis: up, refused, and hung servers."""

from __future__ import annotations

import logging
import time
import uuid

import environ
import pytest
import redis

from healthdash.probes.cache import CacheProbe
from healthdash.probes.database import DatabaseProbe
from healthdash.probes.migrations import MigrationsProbe
from healthdash.registry import ServiceRegistry
from healthdash.runner import Runner
from healthdash.status import Status
from tests.support.listeners import SilentListener
from tests.support.processes import free_port

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
PASSWORD = "pg-secret-Hq47z"
TIMEOUT = 0.5


def pg_settings(url: str) -> dict:
    return environ.Env.db_url_config(url)


def redis_params(url: str) -> dict:
    return {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": f"healthdash-test-{uuid.uuid4().hex}"}


@pytest.fixture(autouse=True)
def real_connections(django_db_blocker):
    """The probes open their own connections to the real servers, not to the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def registry():
    return ServiceRegistry()


@pytest.fixture
def runner(registry):
    return Runner(registry)


def with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    userinfo, at, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0] if at else ""
    return f"{scheme}://{user}:{password}@{host}"


class TestPostgreSQL:
    def test_up(self, postgres_url, registry, runner):
        registry.register("database", DatabaseProbe("default", TIMEOUT * 4, pg_settings(postgres_url)))
        result = runner.run().results["database"]
        assert result.status is Status.UP, result.reason
        assert result.details["vendor"] == "postgresql"
        assert result.details["version"][0].isdigit()

    def test_password_in_the_url_never_shows(self, postgres_url, registry, runner, caplog):
        # The local server trusts 127.0.0.1, so the password is sent and ignored: the check is up.
        registry.register("database", DatabaseProbe("default", 2, pg_settings(with_password(postgres_url, PASSWORD))))
        registry.register("refused", DatabaseProbe("default", 2, pg_settings(
            f"postgres://app:{PASSWORD}@127.0.0.1:{free_port()}/app")))
        with caplog.at_level(logging.DEBUG):
            run = runner.run()
        assert run.results["database"].status is Status.UP
        assert run.results["refused"].status is Status.DOWN
        assert PASSWORD not in repr(run) + caplog.text

    def test_closed_port_is_down_fast(self, registry, runner):
        registry.register("database", DatabaseProbe("default", 5, pg_settings(
            f"postgres://postgres@127.0.0.1:{free_port()}/test")), timeout=5)
        started = time.monotonic()
        result = runner.run().results["database"]
        assert time.monotonic() - started < 2.5, "a refused connection must not wait for the timeout"
        assert result.status is Status.DOWN
        assert "refused" in result.reason.lower()

    def test_server_that_never_answers_is_down_with_timeout(self, registry, runner):
        with SilentListener() as listener:
            registry.register("database", DatabaseProbe("default", TIMEOUT, pg_settings(
                f"postgres://postgres@127.0.0.1:{listener.port}/test")), timeout=TIMEOUT)
            started = time.monotonic()
            result = runner.run().results["database"]
            elapsed = time.monotonic() - started
        assert (result.status, result.reason) == (Status.DOWN, "timeout")
        assert elapsed < TIMEOUT + 2

    def test_migrations_read_the_real_table(self, postgres_url, registry, runner):
        registry.register("migrations", MigrationsProbe("default", 2, pg_settings(postgres_url)), critical=False)
        result = runner.run().results["migrations"]
        assert result.status in (Status.UP, Status.DEGRADED), result.reason
        assert isinstance(result.details["unapplied"], int)


class TestRedis:
    def test_up_and_leaves_no_key(self, redis_url, registry, runner):
        params = redis_params(redis_url)
        registry.register("cache", CacheProbe("default", 2, params))
        result = runner.run().results["cache"]
        assert result.status is Status.UP, result.reason
        assert result.details == {"alias": "default", "backend": "RedisCache"}
        client = redis.Redis.from_url(redis_url)
        try:
            assert list(client.scan_iter(match=f"{params['KEY_PREFIX']}*")) == []
        finally:
            client.close()

    def test_password_in_the_url_never_shows(self, redis_url, registry, runner, caplog):
        registry.register("cache", CacheProbe("default", 2, redis_params(with_password(redis_url, PASSWORD))))
        registry.register("refused", CacheProbe("default", 2, redis_params(
            f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")))
        with caplog.at_level(logging.DEBUG):
            run = runner.run()
        assert run.results["refused"].status is Status.DOWN
        assert PASSWORD not in repr(run) + caplog.text

    def test_server_that_never_answers_is_down_with_timeout_within_the_deadline(self, registry, runner):
        with SilentListener() as listener:
            registry.register("cache", CacheProbe("default", TIMEOUT, redis_params(
                f"redis://127.0.0.1:{listener.port}/0")), timeout=TIMEOUT)
            started = time.monotonic()
            result = runner.run().results["cache"]
            elapsed = time.monotonic() - started
            assert listener.accepted >= 1, "the probe did reach the listener"
            # The probe's own socket timeout frees its thread soon after: the next run starts it again.
            deadline = time.monotonic() + 10
            later = runner.run().results["cache"]
            while later.details.get("still_running") and time.monotonic() < deadline:
                time.sleep(0.1)
                later = runner.run().results["cache"]
            assert later.reason == "timeout"
            assert not later.details.get("still_running"), "the probe's socket timeout did not end the check"
        assert (result.status, result.reason) == (Status.DOWN, "timeout")
        assert elapsed < TIMEOUT + 2

    def test_both_backends_in_one_run(self, postgres_url, redis_url, registry, runner):
        registry.register("database", DatabaseProbe("default", 2, pg_settings(postgres_url)))
        registry.register("cache", CacheProbe("default", 2, redis_params(redis_url)))
        assert runner.run().status is Status.UP
