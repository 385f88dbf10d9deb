"""The admin's request search: staff only, by request ID or trace ID, an entry with its log lines."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from observability.models import JournalEntry
from tests.healthdash.admin_site.test_page import plain_static_files  # noqa: F401 - an autouse fixture
from tests.observability.test_request_id import HOSTILE

pytestmark = pytest.mark.django_db

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def entry():
    return JournalEntry.objects.create(
        request_id="ticket-4711", trace_id=TRACE, method="POST", route="/api/v1/generate", path="/api/v1/generate",
        status=502, duration_ms=12.5, started_at=datetime.now(UTC), instance="worker-1", exception="ProviderError",
        logs=[{"level": "ERROR", "logger": "chimera.llm", "message": "provider failed", "time": "2026-12-07T10:00Z"}])


def test_staff_find_an_entry_by_its_request_id(admin_client, entry, settings):
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACE_URL_TEMPLATE": "http://jaeger:16686/trace/{trace_id}"}
    found = admin_client.get("/admin/health/requests/", {"q": "ticket-4711"})
    assert found.status_code == 302 and found["Location"] == "/admin/health/requests/ticket-4711/"
    page = admin_client.get(found["Location"]).content.decode()
    assert "provider failed" in page and "ProviderError" in page
    assert f'href="http://jaeger:16686/trace/{TRACE}"' in page


def test_a_trace_id_lists_its_requests_and_the_page_lists_the_latest(admin_client, entry):
    assert 'data-request-id="ticket-4711"' in admin_client.get("/admin/health/requests/", {"q": TRACE}).content.decode()
    assert 'data-request-id="ticket-4711"' in admin_client.get("/admin/health/requests/").content.decode()
    assert 'href="/admin/health/requests/"' in admin_client.get("/admin/health/").content.decode()


@pytest.mark.parametrize("value", HOSTILE[1:], ids=range(1, len(HOSTILE)))
def test_hostile_ids_find_nothing_and_are_not_shown(admin_client, entry, value):
    page = admin_client.get("/admin/health/requests/", {"q": value})
    assert page.status_code == 200 and "No failed or slow request" in page.content.decode()
    assert value.strip() not in page.content.decode()


def test_anonymous_callers_go_to_the_login_page_and_others_get_403(client, entry, django_user_model):
    assert client.get("/admin/health/requests/ticket-4711/")["Location"].startswith("/admin/login/")
    client.force_login(django_user_model.objects.create_user("carol", password="carol-password-123"))
    assert client.get("/admin/health/requests/").status_code == 403


@pytest.mark.parametrize("path", ["/admin/health/requests/", "/admin/health/requests/?q=nothing-here",
                                  "/admin/health/requests/ticket-4711/"])
def test_the_pages_name_every_variable_the_admin_templates_read(admin_client, entry, path, caplog):
    # At DEBUG, Django logs each variable a template reads that the context lacks, with the whole
    # context: the CSRF token and the session's user included.
    with caplog.at_level(logging.DEBUG, logger="django.template"):
        assert admin_client.get(path).status_code == 200
    assert [record.getMessage()[:200] for record in caplog.records if record.name == "django.template"] == []
