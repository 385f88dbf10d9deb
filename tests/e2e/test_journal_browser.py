"""The admin's request search in headless Chromium under gunicorn: a failed request found by its ID and trace."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in
from tests.support.processes import Gunicorn, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "browser-secret-query-value"


@pytest.fixture(scope="module")
def server(tmp_path_factory, staff_db_url, static_root, otlp_http_receiver):
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=staff_db_url,
                      STATIC_ROOT=str(static_root), WEB_CONCURRENCY="2", TRACING_ENABLED="true",
                      TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=otlp_http_receiver.endpoint,
                      TRACE_URL_TEMPLATE="http://jaeger:16686/trace/{trace_id}")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-journal-browser")) as gunicorn:
        yield gunicorn


def test_staff_find_a_failed_request_by_its_id_and_by_its_trace(page, server):
    status, headers, _ = http_get(f"{server.url}/boom?token={SECRET}", headers={"X-Request-ID": "browser-boom-1"})
    assert status == 500
    log_in(page, server, "/admin/health/")
    page.click("#healthdash-requests-link")
    page.wait_for_url(server.url + "/admin/health/requests/")
    page.locator('#healthdash-requests tr[data-request-id="browser-boom-1"]').wait_for(timeout=5000)

    page.fill("#healthdash-request-query", "browser-boom-1")
    page.click("#healthdash-request-search button")
    page.wait_for_url(server.url + "/admin/health/requests/browser-boom-1/")
    assert "Internal Server Error: /boom" in page.locator("#healthdash-request-logs").inner_text()
    trace_link = page.locator("#healthdash-trace-link")
    trace_id = trace_link.inner_text()
    assert trace_link.get_attribute("href") == f"http://jaeger:16686/trace/{trace_id}" and len(trace_id) == 32
    assert SECRET not in page.content()

    page.goto(server.url + "/admin/health/requests/")
    page.fill("#healthdash-request-query", trace_id)
    page.click("#healthdash-request-search button")
    assert page.locator("#healthdash-requests tbody tr").get_attribute("data-request-id") == "browser-boom-1"

    page.fill("#healthdash-request-query", "<script>alert(1)</script>")
    page.click("#healthdash-request-search button")
    assert page.locator("#healthdash-request-none").is_visible()
    assert "<script>alert(1)</script>" not in page.content()
    assert page.errors == []
