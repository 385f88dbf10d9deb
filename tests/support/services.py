"""Access to the real services tests may use (PostgreSQL, Redis, Chromium).

A test that needs one skips when it is not configured on a developer's machine; in CI
(``CHIMERA_TEST_STRICT=1``) the same situation fails the test, so nothing is silently skipped.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit, urlunsplit

import pytest

STRICT = os.environ.get("CHIMERA_TEST_STRICT", "") not in ("", "0", "false")
# pytest-xdist runs the tests in workers gw0, gw1, ...; one process alone counts as gw0.
WORKER_NUMBER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def unavailable(reason: str):
    """Skip the calling test, or fail it in strict mode."""
    if STRICT:
        pytest.fail(f"{reason} (CHIMERA_TEST_STRICT is set, so this cannot skip)")
    pytest.skip(reason)


def service_url(variable: str) -> str:
    """The URL of a real service from `variable`, or skip/fail when it is not set."""
    url = os.environ.get(variable, "")
    if not url:
        unavailable(f"{variable} is not set")
    return url


def redis_database_url(url: str, db: int | None = None) -> str:
    """`url` pointed at Redis database `db` (by default its own), counted down by this worker's number.

    Tests flush the databases they use, so two pytest-xdist workers must never share one: with
    TEST_REDIS_URL on database 15, gw0 uses 15 and gw1 14.
    """
    parts = urlsplit(url)
    worker_db = (int(parts.path.strip("/") or 0) if db is None else db) - WORKER_NUMBER
    if worker_db < 0:
        raise ValueError(f"no Redis database for worker gw{WORKER_NUMBER} below {url}: give it a higher one")
    return urlunsplit(parts._replace(path=f"/{worker_db}"))


def chromium_path() -> str:
    """Path of Debian's chromium, or skip/fail when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        unavailable("chromium is not installed (bin/test installs it when run as root)")
    return path
