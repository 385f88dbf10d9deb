"""The admin in a real browser under gunicorn: login form, styles, no console errors."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import STAFF_PASSWORD, STAFF_USER
from tests.support.browser import screenshot_path

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def log_in(page, server) -> None:
    page.goto(server.url + "/admin/login/")
    page.fill("#id_username", STAFF_USER)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(server.url + "/admin/")


def test_staff_logs_in_through_the_admin_form(page, admin_server):
    log_in(page, admin_server)
    assert page.locator("#site-name").inner_text() == "Django administration"
    # The admin's stylesheet loaded (served by WhiteNoise): the header has its colours.
    assert page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.screenshot(path=screenshot_path("admin-index"))
    assert page.errors == []


def test_wrong_password_stays_on_the_login_page(page, admin_server):
    page.goto(admin_server.url + "/admin/login/")
    page.fill("#id_username", STAFF_USER)
    page.fill("#id_password", "wrong")
    page.click("input[type=submit]")
    assert "Please enter the correct username and password" in page.locator(".errornote").inner_text()
