"""Fixtures for end-to-end tests: a staff user in a served database, a browser."""

from __future__ import annotations

import pytest

from tests.support.browser import launch
from tests.support.processes import Gunicorn, project_env, run_manage
from tests.support.services import chromium_path

STAFF_USER = "staff"
STAFF_PASSWORD = "a-staff-password-for-tests-only"


@pytest.fixture(scope="session")
def staff_db_url(migrated_db_url) -> str:
    """The migrated database, with a staff superuser `staff` (password STAFF_PASSWORD)."""
    env = project_env(DATABASE_URL=migrated_db_url, DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD)
    result = run_manage("createsuperuser", "--noinput", "--username", STAFF_USER, "--email", "staff@example.com",
                        env=env)
    assert result.returncode == 0 or "already taken" in result.stderr, result.stderr
    return migrated_db_url


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per module.

    Playwright's sync API keeps an event loop running in the main thread while it is started:
    a longer-lived browser would break the async tests of later modules.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = launch(playwright, executable)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page (own cookies); console errors and page errors are kept in ``page.errors``."""
    context = browser.new_context()
    new_page = context.new_page()
    new_page.errors = []
    new_page.on("console", lambda message: message.type == "error" and new_page.errors.append(message.text))
    new_page.on("pageerror", lambda error: new_page.errors.append(str(error)))
    new_page.on("response", lambda reply: reply.status >= 400 and new_page.errors.append(f"{reply.status} {reply.url}"))
    yield new_page
    context.close()


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, staff_db_url):
    """gunicorn serving the project (DEBUG off) with static files collected, for browser tests."""
    static_root = tmp_path_factory.mktemp("static")
    result = run_manage("collectstatic", "--noinput", "-v0", env=project_env(STATIC_ROOT=str(static_root)),
                        timeout=120)
    assert result.returncode == 0, result.stderr
    env = project_env(DATABASE_URL=staff_db_url, STATIC_ROOT=str(static_root), WEB_CONCURRENCY="2")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-admin")) as server:
        yield server
