"""Built-in probes against the embedded backends (SQLite, local memory cache) and tracing status."""

from __future__ import annotations

import pytest
from django.db import connection

from healthdash.probes import register_builtin_services
from healthdash.probes.cache import CacheProbe
from healthdash.probes.database import DatabaseProbe, probe_settings
from healthdash.probes.migrations import MigrationsProbe
from healthdash.probes.tracing import check_tracing
from healthdash.status import Status

TRACING_STATUS = {
    "enabled": True, "active": True, "exporter": "otlp", "endpoint": "http://collector:4317",
    "service_name": "chimera-backend", "sample_rate": 1.0,
    "last_export": {"result": "success", "at": "2026-11-26T10:00:00Z", "error": None},
    "spans_exported": 12, "spans_dropped": 0,
}


@pytest.fixture
def tracing_status(monkeypatch):
    """A stand-in for observability.tracing.setup.tracing_status(); returns the dict to edit."""
    status = dict(TRACING_STATUS)
    monkeypatch.setattr("healthdash.probes.tracing.tracing_status", lambda: status)
    return status


@pytest.mark.django_db
def test_database_probe_uses_a_connection_of_its_own():
    result = DatabaseProbe("default")()
    assert result.status is Status.UP
    assert result.details["vendor"] == connection.vendor
    assert result.details["version"]


def test_database_probe_does_not_create_a_missing_sqlite_file(tmp_path):
    path = tmp_path / "absent.sqlite3"
    probe = DatabaseProbe("default", settings_dict={"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        probe()
    assert not path.exists()


def test_probe_settings_add_a_connect_timeout_without_touching_the_original():
    original = {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": {"pool": True}}
    probe = probe_settings(original, 0.5)
    assert probe["OPTIONS"] == {"connect_timeout": 2}
    assert (probe["CONN_MAX_AGE"], probe["AUTOCOMMIT"], probe["TIME_ZONE"]) == (0, True, None)
    assert original["OPTIONS"] == {"pool": True}
    assert probe_settings({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}, 7.5)["OPTIONS"] == {
        "connect_timeout": 8}


def test_cache_probe_with_local_memory():
    result = CacheProbe("default")()
    assert result.status is Status.UP
    assert result.details == {"alias": "default", "backend": "LocMemCache"}


def test_a_cache_that_stores_nothing_is_degraded():
    result = CacheProbe("dummy", params={"BACKEND": "django.core.cache.backends.dummy.DummyCache"})()
    assert result.status is Status.DEGRADED
    assert "differs" in result.reason


@pytest.mark.django_db
def test_migrations_up_on_the_migrated_test_database():
    assert MigrationsProbe("default")().status is Status.UP


@pytest.mark.django_db
def test_migrations_degraded_on_an_empty_database(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.touch()
    result = MigrationsProbe("default", settings_dict={"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})()
    assert result.status is Status.DEGRADED
    assert result.details["unapplied"] > 10
    assert "auth.0001_initial" in result.details["first"]
    assert result.reason == f"{result.details['unapplied']} unapplied migrations"


def test_tracing_disabled_is_up(tracing_status):
    tracing_status.update(enabled=False, active=False)
    result = check_tracing()
    assert result.status is Status.UP
    assert result.details["enabled"] is False


def test_tracing_exporting_is_up_with_its_details(tracing_status):
    result = check_tracing()
    assert result.status is Status.UP
    assert result.details == TRACING_STATUS


def test_tracing_with_a_failed_export_is_degraded(tracing_status):
    tracing_status["last_export"] = {"result": "failure", "at": "2026-11-26T10:00:00Z", "error": "UNAVAILABLE"}
    result = check_tracing()
    assert (result.status, result.reason) == (Status.DEGRADED, "the last export failed")


def test_tracing_enabled_but_inactive_is_degraded(tracing_status):
    tracing_status["active"] = False
    assert check_tracing().status is Status.DEGRADED


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_builtin_descriptions_say_what_is_checked_not_a_result(registry):
    # A description sits on every row, green or not: "not applied yet" on an up row misleads.
    register_builtin_services(registry)
    assert {name: registry.get(name).description for name in ("database", "cache", "migrations", "tracing")} == {
        "database": "Database 'default': SELECT 1 on a new connection",
        "cache": "Cache 'default': set, get and delete a key",
        "migrations": "Database 'default': every migration on disk is applied (else degraded, naming them)",
        "tracing": "Tracing exporter: when enabled, exporting from this process and its last export accepted",
    }


def test_builtin_services_per_alias(registry, settings):
    settings.DATABASES = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}
    settings.CACHES = {**settings.CACHES, "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    register_builtin_services(registry)
    assert registry.names() == ["database", "database:replica", "cache", "cache:sessions", "migrations", "tracing"]
    assert {registry.get(n).component_type for n in ("database", "cache:sessions")} == {"datastore"}
