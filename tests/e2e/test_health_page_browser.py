"""The admin health page in headless Chromium under gunicorn, behind a strict Content-Security-Policy.

One server for the module (two workers, results cached 1 s, so the page refreshes every 2 s)
with a service, ``search_index``, that the tests switch up and down by writing a file.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from healthdash.admin_site.sparkline import sparkline
from tests.e2e.conftest import log_in
from tests.support.browser import screenshot_path
from tests.support.csp import POLICY
from tests.support.processes import Gunicorn, project_env, run_manage
from tests.support.switch import DOWN_REASON, write_status

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGE = "/admin/health/"
SWITCHED = ("search_index", "payments")
# The built-in services, the project's own, and the two the tests switch.
SERVICES = {"database", "cache", "migrations", "tracing", "llm_service", "transformation_engine", *SWITCHED}
HEADERS = ["Service", "Status", "Critical", "Latency", "Recent latency", "Checked", "Description", "Reason"]
ENDPOINT_SECRET = "endpoint-secret-4d7a"
HEADER_SECRET = "header-secret-91c3"
# Waits are bounded and generous: the machine running the suite may be busy.
UPDATE_TIMEOUT_MS = 20_000
# Collects what the browser reports when the Content-Security-Policy blocks something.
CSP_LISTENER = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (event) => window.cspViolations.push(event.violatedDirective + " " + event.blockedURI));
"""


class Switches:
    """The files the switched services read their status from."""

    def __init__(self, folder):
        self.folder = folder

    def set(self, name: str, status: str) -> None:
        write_status(self.folder / name, status)

    def all_up(self) -> None:
        for name in SWITCHED:
            self.set(name, "up")


@pytest.fixture(scope="module")
def switches(tmp_path_factory) -> Switches:
    switches = Switches(tmp_path_factory.mktemp("switches"))
    switches.all_up()
    return switches


@pytest.fixture(scope="module")
def receiver(otlp_http_receiver):
    return otlp_http_receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory, staff_db_url, static_root, switches, receiver):
    """Tracing on, with credentials in the endpoint and a secret header: the page must show neither."""
    endpoint = receiver.endpoint.replace("http://", f"http://trace-user:{ENDPOINT_SECRET}@")
    env = project_env(
        DJANGO_SETTINGS_MODULE="tests.e2e.health_page_settings", DATABASE_URL=staff_db_url,
        STATIC_ROOT=str(static_root), WEB_CONCURRENCY="2", HEALTH_CACHE_SECONDS="1",
        HEALTH_SWITCH_DIR=str(switches.folder),
        TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=endpoint,
        TRACING_HEADERS=f"x-collector-key={HEADER_SECRET}", TRACING_SERVICE_NAME="chimera-health-page",
        TRACING_SAMPLE_RATE="0.5", OTEL_BSP_SCHEDULE_DELAY="200",
    )
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-health-page")) as gunicorn:
        yield gunicorn


@pytest.fixture(scope="module")
def staff_session(browser, server):
    """Cookies of a staff session, logged in once through the admin's form."""
    context = browser.new_context()
    try:
        log_in(context.new_page(), server)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def switch(switches):
    """The switched services are up when the test starts and when it ends."""
    switches.all_up()
    yield switches
    switches.all_up()


@pytest.fixture
def staff_page(new_page, staff_session, server, switch):
    """A staff user's page on the health page, from a fresh run, with CSP violations collected.

    Fresh, because the other worker may still hold a run from the previous test: the page never
    goes back to an older run, so it shows the switches as they are now.
    """
    def open_page(**context_options):
        page = new_page(storage_state=staff_session, **context_options)
        page.add_init_script(CSP_LISTENER)
        response = page.goto(server.url + PAGE + "?refresh=1")
        assert response.status == 200
        assert response.headers["content-security-policy"] == POLICY
        return page
    return open_page


def row(page, name: str):
    return page.locator(f'#healthdash-services tbody tr[data-service="{name}"]')


def cell(page, name: str, field: str):
    return row(page, name).locator(f'[data-field="{field}"]')


def assert_clean(page) -> None:
    """No console error, page error, failed response, CSP violation or style attribute."""
    assert page.errors == []
    assert page.evaluate("window.cspViolations") == []
    # (Chromium's form autofill leaves empty style attributes on inputs: not the page's doing.)
    assert page.locator('[style]:not([style=""])').count() == 0


def test_anonymous_staff_logs_in_through_the_admin_form_and_reads_the_rows(page, server, switch):
    from playwright.sync_api import expect

    page.add_init_script(CSP_LISTENER)
    log_in(page, server, PAGE)  # /admin/health/ sent the anonymous visitor to the login form
    expect(page.locator("h1")).to_have_text("Service health")
    assert page.locator(".breadcrumbs").inner_text().split() == ["Home", "›", "Service", "health"]
    assert page.locator("#healthdash-services thead th").all_inner_texts() == [h.upper() for h in HEADERS]
    rows = page.locator("#healthdash-services tbody tr")
    assert set(rows.evaluate_all("rows => rows.map(row => row.dataset.service)")) == SERVICES
    for name in SERVICES:
        assert cell(page, name, "status").inner_text() == "Up"
        assert re.fullmatch(r"\d+\.\d ms", cell(page, name, "latency").inner_text())
        assert cell(page, name, "checked").locator("time").get_attribute("datetime").endswith("Z")
    assert cell(page, "search_index", "critical").inner_text() == "no"
    assert cell(page, "search_index", "description").inner_text() == "Search index, switched by the test"
    assert page.locator("#healthdash-banner").inner_text() == f"Up: all {len(SERVICES)} services are up."
    assert page.locator("#healthdash-middleware tr[data-key=csrf] td").inner_text() == "active"
    assert page.locator('[data-section="providers"] tbody th').all_inner_texts() == ["local", "google", "openai"]
    # The admin's stylesheet and the page's own both apply: the caption has the admin's header colour.
    header_bg = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert page.evaluate("getComputedStyle(document.querySelector('#healthdash-services caption'))"
                         ".backgroundColor") == header_bg
    expect(page.locator("#healthdash-live")).to_have_text("Updates every 2 s.")
    page.screenshot(path=screenshot_path("health-page"), full_page=True)
    assert_clean(page)


def test_the_admin_index_links_to_the_page(staff_page, server):
    page = staff_page()
    page.goto(server.url + "/admin/")
    page.get_by_role("link", name="Service health").click()
    page.wait_for_url(server.url + PAGE)
    assert page.locator("#nav-sidebar a[aria-current=page]").inner_text() == "Service health"
    assert page.errors == []


def test_auto_refresh_shows_a_service_going_down_without_a_reload(staff_page, switch):
    from playwright.sync_api import expect

    page = staff_page()
    page.evaluate("window.notReloaded = true")
    samples_before = cell(page, "search_index", "history").locator("svg").get_attribute("data-samples")
    switch.set("search_index", "down")
    expect(cell(page, "search_index", "status")).to_have_text("Down", timeout=UPDATE_TIMEOUT_MS)
    expect(cell(page, "search_index", "reason")).to_have_text(f"ConnectionError: {DOWN_REASON}")
    expect(row(page, "search_index")).to_have_class(re.compile(r"\bhealthdash-row--down\b"))
    banner = page.locator("#healthdash-banner")
    expect(banner).to_have_text(f"Degraded: 1 of {len(SERVICES)} services not up (search_index).")
    expect(banner).to_have_class(re.compile(r"\bhealthdash-banner--degraded\b"))
    # The sparkline grew by the new samples, and marks the one that was down.
    chart = cell(page, "search_index", "history").locator("svg")
    assert chart.locator("circle.healthdash-marker--down").count() >= 1
    assert len(chart.locator("polyline").get_attribute("points").split()) > len(json.loads(samples_before))
    assert "not up" in chart.get_attribute("aria-label")
    # The fleet's history recorded the change, and the page's recent changes show it, newest first.
    change = page.locator('#healthdash-changes tbody tr[data-service="search_index"]').first
    expect(change).to_contain_text("Down", timeout=UPDATE_TIMEOUT_MS)
    expect(change).to_contain_text(f"ConnectionError: {DOWN_REASON}")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=screenshot_path("health-page-degraded"), full_page=True)
    assert_clean(page)


def test_the_button_runs_the_checks_at_once_from_the_keyboard(staff_page, server, switch):
    from playwright.sync_api import expect

    page = staff_page()
    switch.set("search_index", "degraded")
    button = page.locator("#healthdash-refresh")
    button.focus()
    with page.expect_response(lambda reply: "refresh=1" in reply.url, timeout=UPDATE_TIMEOUT_MS) as answer:
        page.keyboard.press("Enter")
    body = answer.value.json()
    assert body["services"]["search_index"]["status"] == "degraded"
    expect(cell(page, "search_index", "status")).to_have_text("Degraded")
    expect(page.locator("#healthdash-checked-at")).not_to_have_attribute("datetime", "")
    assert page.locator("#healthdash-checked-at").get_attribute("datetime") >= body["checked_at"]
    expect(button).to_be_enabled()
    expect(button).to_be_focused()
    assert page.url == server.url + PAGE  # the script ran the checks: the form's GET did not happen
    assert_clean(page)


def test_a_critical_service_down_turns_the_banner_red(staff_page, server, switch):
    from playwright.sync_api import expect

    page = staff_page()
    switch.set("payments", "down")
    banner = page.locator("#healthdash-banner")
    expect(banner).to_have_text("Down: critical service payments.", timeout=UPDATE_TIMEOUT_MS)
    expect(banner).to_have_class(re.compile(r"\bhealthdash-banner--down\b"))
    expect(cell(page, "payments", "status")).to_have_text("Down")
    assert cell(page, "payments", "critical").inner_text() == "yes"
    # The dashboard answers 503 while a critical service is down, which Chromium reports on the
    # console; the page reads the answer all the same. Nothing else went wrong.
    dashboard = server.url + "/api/v1/health/dashboard"
    assert page.errors and all(
        error == f"503 {dashboard}" or ("503" in error and "Failed to load resource" in error) for error in page.errors
    ), page.errors
    assert page.locator("#healthdash-live").inner_text() == "Updates every 2 s."
    page.screenshot(path=screenshot_path("health-page-down"), full_page=True)
    page.errors.clear()
    assert_clean(page)


def test_maintenance_shows_who_and_since_when_and_staff_turn_it_off(staff_page, server):
    from playwright.sync_api import expect

    page = staff_page()
    banner, text = page.locator("#healthdash-maintenance"), page.locator("#healthdash-maintenance-text")
    expect(banner).to_be_hidden()
    switched = run_manage("health", "maintenance", "on", "--reason", "moving the database", env=server.env)
    try:
        assert switched.returncode == 0, switched.stdout + switched.stderr
        # The script shows it at a refresh, without a reload.
        expect(text).to_contain_text("(command line): moving the database.", timeout=UPDATE_TIMEOUT_MS)
        since = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
        expect(text).to_contain_text(re.compile(rf"Maintenance: on since {since}, turned on by "))
        page.screenshot(path=screenshot_path("health-page-maintenance"), full_page=True)
        with page.expect_navigation():
            page.locator("#healthdash-maintenance-off").click()
        assert page.url == server.url + PAGE  # the page again (the script drops ?refresh=1 from the address)
        expect(banner).to_be_hidden()
        assert run_manage("health", "maintenance", "status", env=server.env).stdout == "maintenance: off\n"
    finally:
        run_manage("health", "maintenance", "off", env=server.env)
    assert_clean(page)


def test_dark_mode_uses_the_admin_colours(staff_page, switch):
    from playwright.sync_api import expect

    page = staff_page(color_scheme="dark")
    switch.set("search_index", "down")
    expect(cell(page, "search_index", "status")).to_have_text("Down", timeout=UPDATE_TIMEOUT_MS)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"
    # --message-warning-bg of the admin's dark theme.
    assert page.evaluate("getComputedStyle(document.querySelector('#healthdash-banner')).backgroundColor") \
        == "rgb(88, 51, 5)"
    page.screenshot(path=screenshot_path("health-page-dark"), full_page=True)
    assert_clean(page)


def test_the_policy_is_enforced_and_the_page_obeys_it(staff_page):
    page = staff_page()
    assert_clean(page)
    # The control: an inline script is refused on this page, so a clean page means an obedient one.
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.append(script);
    }""")
    assert page.evaluate("window.inlineRan") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.cspViolations"))


def test_without_javascript_the_page_is_complete_and_the_button_still_works(new_page, staff_session, server, switch):
    page = new_page(storage_state=staff_session, java_script_enabled=False)
    switch.set("search_index", "down")
    page.goto(server.url + PAGE + "?refresh=1")
    assert cell(page, "search_index", "status").inner_text() == "Down"
    assert page.locator("#healthdash-banner").inner_text().startswith("Degraded:")
    assert page.locator("#healthdash-live").is_hidden()
    switch.set("search_index", "up")
    page.click("#healthdash-refresh")
    page.wait_for_load_state()
    assert page.url.endswith(PAGE + "?refresh=1")
    assert cell(page, "search_index", "status").inner_text() == "Up"
    assert page.errors == []


def test_the_script_renders_an_update_as_the_server_rendered_the_first_paint(staff_page):
    from playwright.sync_api import expect

    page = staff_page()
    stable = "#healthdash-middleware, #healthdash-sections"
    static_fields = ["name", "status", "critical", "description", "reason"]
    # The export counters and the last export's time move with every batch of spans.
    static_tracing = ["enabled", "active", "exporter", "endpoint", "service_name", "sample_rate"]

    def snapshot():
        cells = {field: page.locator(f'#healthdash-services [data-field="{field}"]').all_inner_texts()
                 for field in static_fields}
        tracing = [page.locator(f"#healthdash-tracing tr[data-key={key}]").inner_text() for key in static_tracing]
        return (page.locator(stable).all_inner_texts(), cells, page.locator("#healthdash-banner").inner_text(),
                tracing, page.locator("#healthdash-tracing th").all_inner_texts())

    first_paint = snapshot()
    run = page.locator("#healthdash-checked-at").get_attribute("datetime")
    expect(page.locator("#healthdash-checked-at")).not_to_have_attribute("datetime", run, timeout=UPDATE_TIMEOUT_MS)
    assert snapshot() == first_paint
    # The charts the script drew are the ones healthdash.sparkline computes for the same samples.
    for chart in page.locator("#healthdash-services svg").all():
        samples = [tuple(sample) for sample in json.loads(chart.get_attribute("data-samples"))]
        expected = sparkline(samples)
        assert chart.locator("polyline").get_attribute("points") == expected.points
        assert chart.get_attribute("aria-label") == expected.label
        assert chart.locator("circle").count() == len(expected.markers)
    assert_clean(page)


def test_a_failed_update_is_reported_and_the_next_one_recovers(staff_page, server):
    from playwright.sync_api import expect

    page = staff_page()
    live = page.locator("#healthdash-live")
    dashboard = "**/api/v1/health/dashboard*"
    page.route(dashboard, lambda route: route.fulfill(status=502, body="Bad Gateway"))
    expect(live).to_contain_text("Could not update (HTTP 502); showing the run of", timeout=UPDATE_TIMEOUT_MS)
    expect(live).to_have_class(re.compile(r"\bhealthdash-live--error\b"))
    assert row(page, "database").count() == 1, "the last results stay on the page"
    page.unroute(dashboard)
    expect(live).to_have_text("Updates every 2 s.", timeout=UPDATE_TIMEOUT_MS)
    assert {e for e in page.errors if "502" not in e} == set(), page.errors


def test_when_the_session_ends_the_page_stops_and_offers_the_login(staff_page, server):
    from playwright.sync_api import expect

    page = staff_page()
    page.context.clear_cookies()
    live = page.locator("#healthdash-live")
    expect(live).to_have_text("Your session has ended: log in again to see current results.",
                              timeout=UPDATE_TIMEOUT_MS)
    assert live.get_by_role("link").get_attribute("href") == "/admin/login/?next=/admin/health/"
    page.click("#healthdash-refresh")  # the plain form now: it leads to the login page
    page.wait_for_url(re.compile(r"/admin/login/\?next="))
    assert_clean(page)


def test_the_tracing_block_shows_the_exporter_without_its_secrets(staff_page, receiver):
    from playwright.sync_api import expect

    page = staff_page()
    endpoint = f"http://trace-user:***@127.0.0.1:{receiver.port}/v1/traces"  # the user name, never the password
    tracing = page.locator("#healthdash-tracing")
    # Spans leave both workers every 200 ms; the next updates show an export that succeeded.
    expect(tracing.locator("tr[data-key=last_export] td")).to_have_text(
        re.compile(r"^success at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"), timeout=UPDATE_TIMEOUT_MS)
    rows = dict(zip(tracing.locator("th").all_inner_texts(), tracing.locator("td").all_inner_texts(), strict=True))
    assert {key: rows[key] for key in ("Enabled", "Exporting in this process", "Exporter", "Endpoint", "Service name",
                                       "Sample rate", "Spans dropped")} == {
        "Enabled": "yes", "Exporting in this process": "yes", "Exporter": "otlp_http", "Endpoint": endpoint,
        "Service name": "chimera-health-page", "Sample rate": "0.5", "Spans dropped": "0"}
    assert int(rows["Spans exported"]) > 0
    assert page.locator("#healthdash-middleware tr[data-key=tracing] td").inner_text() == "active"
    assert cell(page, "tracing", "status").inner_text() == "Up"
    html = page.content()
    assert ENDPOINT_SECRET not in html and HEADER_SECRET not in html
    assert receiver.wait_for(1, predicate=lambda span: span.service_name == "chimera-health-page")
    assert any(headers.get("x-collector-key") == HEADER_SECRET for headers in receiver.requests)
    assert_clean(page)


def traffic_cell(page, route: str, column: int):
    return page.locator(f'#healthdash-traffic tbody tr[data-route="{route}"] td').nth(column)


def test_the_traffic_block_sums_both_workers_and_draws_rates_between_refreshes(staff_page, server, switch):
    from playwright.sync_api import expect

    from healthdash.admin_site.sparkline import describe_rates
    from tests.support.processes import http_get

    page = staff_page()
    expect(page.locator("#healthdash-traffic caption")).to_have_text("Traffic")
    route = "/admin/login/"
    before = int(traffic_cell(page, route, 0).inner_text() or 0) if traffic_cell(page, route, 0).count() else 0
    for _ in range(25):  # one connection each, so both workers take some
        assert http_get(server.url + route, headers={"Connection": "close"})[0] == 200
    # Whichever worker answers the page's refresh, it shows every worker's requests.
    expect(traffic_cell(page, route, 0)).to_have_text(str(before + 25), timeout=UPDATE_TIMEOUT_MS)
    assert re.fullmatch(r"\d+\.\d ms", traffic_cell(page, route, 2).inner_text())  # p50
    assert re.fullmatch(r"\d+\.\d ms", traffic_cell(page, route, 3).inner_text())  # p95
    switch.set("payments", "down")
    failed = 0
    for _ in range(100):  # each worker sees the switch once its cached run (1 s) is over
        failed += http_get(server.url + "/api/v1/health/dashboard", headers={"Connection": "close"})[0] == 503
        if failed == 4:
            break
        time.sleep(0.05)
    assert failed == 4
    dashboard = traffic_cell(page, "/api/v1/health/dashboard", 1)
    expect(dashboard).not_to_have_text("0.0 %", timeout=UPDATE_TIMEOUT_MS)
    assert re.fullmatch(r"\d+\.\d %", dashboard.inner_text())
    expect(page.locator("#healthdash-traffic-rate")).to_have_text(re.compile(r"^\d+\.\d requests/s, \d+\.\d errors/s$"))
    chart = page.locator("#healthdash-traffic svg")
    expect(chart.locator("circle.healthdash-marker--down")).not_to_have_count(0, timeout=UPDATE_TIMEOUT_MS)
    samples = [tuple(sample) for sample in json.loads(chart.get_attribute("data-samples"))]
    expected = sparkline(samples, describe=describe_rates)
    assert chart.locator("polyline").get_attribute("points") == expected.points
    assert chart.get_attribute("aria-label") == expected.label
    assert page.locator("#healthdash-traffic-totals").inner_text().endswith("answered 5xx")
    page.screenshot(path=screenshot_path("health-page-traffic"), full_page=True)
    assert_clean(page)
