"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support.processes import project_env, run_manage
from tests.support.services import service_url


@pytest.fixture(scope="session")
def migrated_db_url(tmp_path_factory) -> str:
    """A migrated SQLite database file for subprocesses (gunicorn, manage.py), made once."""
    path = tmp_path_factory.mktemp("db") / "db.sqlite3"
    url = f"sqlite:///{path}"
    result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=url), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server (TEST_POSTGRES_URL)."""
    return service_url("TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server (TEST_REDIS_URL)."""
    return service_url("TEST_REDIS_URL")
