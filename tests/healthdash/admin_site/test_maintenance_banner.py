"""The admin health page in maintenance: a banner naming who and since when, and a staff POST turning it off."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from healthdash import maintenance
from tests.healthdash.admin_site.test_page import PAGE, parse

pytestmark = pytest.mark.django_db(transaction=True)  # the state is read on a check thread: it must be committed
OFF = "/admin/health/maintenance/off/"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def in_maintenance():
    state = maintenance.turn_on(reason="moving the database", by="ops@example.com")
    yield state
    maintenance.turn_off()


@pytest.fixture
def csrf_staff(staff_user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    return client


def banner_attributes(response) -> dict:
    return next(a for tag, a in parse(response).elements if a.get("id") == "healthdash-maintenance")


def test_no_banner_out_of_maintenance(staff_client, project_services):
    response = staff_client.get(PAGE)
    assert "hidden" in banner_attributes(response)
    assert parse(response).text_by_id["healthdash-maintenance-text"] == ""


def test_the_banner_names_who_and_since_when(staff_client, project_services, in_maintenance):
    response = staff_client.get(PAGE)
    assert "hidden" not in banner_attributes(response)
    since = in_maintenance.since.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert parse(response).text_by_id["healthdash-maintenance-text"] == (
        f"Maintenance: on since {since}, turned on by ops@example.com: moving the database. "
        "Readiness answers 503, so load balancers send no traffic here.")


def test_staff_turn_it_off_with_the_pages_csrf_token(csrf_staff, project_services, in_maintenance):
    page = csrf_staff.get(PAGE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert csrf_staff.post(OFF).status_code == 403  # no token
    assert maintenance.stored().on
    response = csrf_staff.post(OFF, {"csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (303, PAGE + "?refresh=1")
    assert not maintenance.stored().on
    assert "hidden" in banner_attributes(csrf_staff.get(response["Location"]))


def test_only_staff_may_turn_it_off(client, django_user_model, project_services, in_maintenance):
    assert client.post(OFF).status_code == 302  # to the login
    client.force_login(django_user_model.objects.create_user("member", password="member-password-123"))
    assert client.post(OFF).status_code == 403
    assert maintenance.stored().on


def test_the_switch_answers_post_only(staff_client, project_services, in_maintenance):
    assert staff_client.get(OFF).status_code == 405
    assert maintenance.stored().on
