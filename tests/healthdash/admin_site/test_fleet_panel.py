"""The admin health page's Fleet block: the processes as their heartbeats recorded them, or why it cannot say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from healthdash.fleet import DatabaseStore, Instance
from tests.healthdash.test_fleet import redis_caches
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db

PAGE = "/admin/health/"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def record(store: DatabaseStore, number: int, seen_ago: float) -> None:
    moment = datetime.now(UTC)
    store.record(Instance(f"instance-{number}", f"web-{number}", 4000 + number, f"1.{number}",
                          moment - timedelta(minutes=5), moment - timedelta(seconds=seen_ago)), 10.0)


def test_the_page_lists_each_process_with_version_state_and_last_seen(staff_client, project_services):
    store = DatabaseStore()
    record(store, 1, 0)
    record(store, 2, 45)  # more than 3 heartbeats of 10 s
    html = staff_client.get(PAGE).content.decode()
    block = html[html.index('id="healthdash-fleet"'):html.index('id="healthdash-services"')]
    assert "<caption>Fleet</caption>" in block
    assert 'data-instance="instance-1"' in block and "web-1:4001" in block and "<td>1.1</td>" in block
    assert 'healthdash-state--live">Live<' in block and 'healthdash-state--stale">Stale<' in block
    assert "2 processes on 2 hosts, 1 stale" in block


def test_the_page_says_when_the_fleet_cannot_be_read(staff_client, project_services, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")
    response = staff_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The fleet&#x27;s records cannot be read right now" in html
