"""The admin health page's recent status changes, from the fleet's history in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from healthdash.admin_site.changes import recent_changes
from healthdash.models import Transition

PAGE = "/admin/health/"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Admin templates name static files, which the manifest storage cannot hash before collectstatic."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.mark.django_db
def test_the_page_lists_the_latest_changes_newest_first(staff_client):
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    for second in range(12):
        Transition.objects.create(service=f"svc{second}", previous="up", status="down",
                                  at=at + timedelta(seconds=second), reason=f"refused {second}")
    response = staff_client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="healthdash-changes"' in html and 'data-history-url="/api/v1/health/history"' in html
    panel = html[html.index('id="healthdash-changes"'):html.index('id="healthdash-traffic"')]
    assert panel.index("svc11") < panel.index("svc10")
    assert "svc1<" not in panel and "svc0<" not in panel  # ten shown; the API has the rest
    assert "2026-12-07 10:00:11 UTC" in panel and "refused 11" in panel


@pytest.mark.django_db
def test_no_change_yet_says_so(staff_client):
    html = staff_client.get(PAGE).content.decode()
    assert "No status change recorded yet." in html


@pytest.mark.django_db(transaction=True)
def test_a_database_without_the_history_leaves_the_panel_saying_so():
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.delete_model(Transition)
    try:
        changes = recent_changes()
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(Transition)
    assert (changes.available, changes.rows) == (False, ())
