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


def record_errors(new_page):
    """Keep console errors, page errors and failed responses of `new_page` in ``new_page.errors``."""
    new_page.errors = []
    new_page.on("console", lambda message: message.type == "error" and new_page.errors.append(message.text))
    new_page.on("pageerror", lambda error: new_page.errors.append(str(error)))
    new_page.on("response", lambda reply: reply.status >= 400 and new_page.errors.append(f"{reply.status} {reply.url}"))
    return new_page


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts: ``new_page(color_scheme="dark")``; errors kept as in `page`."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        return record_errors(context.new_page())
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh page (own cookies); console errors and page errors are kept in ``page.errors``."""
    return new_page()


def log_in(page, server, path: str = "/admin/") -> None:
    """Log in as the staff user through the admin's login form, then land on `path`."""
    page.goto(f"{server.url}/admin/login/?next={path}")
    page.fill("#id_username", STAFF_USER)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(server.url + path)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """The project's static files, collected once (hashed names, as WhiteNoise serves them)."""
    root = tmp_path_factory.mktemp("static")
    result = run_manage("collectstatic", "--noinput", "-v0", env=project_env(STATIC_ROOT=str(root)), timeout=120)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, staff_db_url, static_root):
    """gunicorn serving the project (DEBUG off) with static files collected, for browser tests."""
    env = project_env(DATABASE_URL=staff_db_url, STATIC_ROOT=str(static_root), WEB_CONCURRENCY="2")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-admin")) as server:
        yield server


@pytest.fixture(scope="module")
def otlp_http_receiver():
    """An OTLP/HTTP collector for one module's servers to export their spans to."""
    from tests.support.receivers import OTLPHttpReceiver

    collector = OTLPHttpReceiver()
    yield collector
    collector.stop()
