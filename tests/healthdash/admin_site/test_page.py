"""The admin health page through Django's test client: who may see it, what it shows, what it never shows."""

from __future__ import annotations

import json
import logging
import uuid
from html.parser import HTMLParser

import pytest
from django.contrib.admin import AdminSite
from django.test import Client

from healthdash.admin_site import HealthAdminSiteMixin
from healthdash.admin_site.content import TRACING_FIELDS, tracing_value
from healthdash.admin_site.sparkline import sparkline
from healthdash.registry import service_registry
from healthdash.sections import register_section, unregister_section
from healthdash.status import CheckResult

pytestmark = pytest.mark.django_db

PAGE = "/admin/health/"
API_KEY = "page-test-api-key-6c1f0e9a2b"
DB_PASSWORD = "page-test-db-password-55d1"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Admin templates name static files, which the manifest storage cannot hash before collectstatic."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def restore_tracing_service():
    """Put the built-in ``tracing`` service back after a test replaced it."""
    original = service_registry.get("tracing")
    yield
    service_registry.register("tracing", original.check, critical=original.critical, timeout=original.timeout,
                              description=original.description, component_type=original.component_type,
                              replace=True)


class PageParser(HTMLParser):
    """The page's elements: attributes of each, text of the services table by row and field."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.rows: dict[str, dict[str, str]] = {}
        self.text_by_id: dict[str, str] = {}
        self.charts: dict[str, dict] = {}
        self._row = self._field = self._id = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "tr" and "data-service" in attributes:
            self._row = self.rows.setdefault(attributes["data-service"], {})
        if self._row is not None and tag == "svg":
            self.charts[attributes["data-samples"]] = attributes
            self._row["chart"] = attributes["data-samples"]
        if self._row is not None and "data-field" in attributes:
            self._field = attributes["data-field"]
            self._row[self._field] = ""
        if "id" in attributes and tag in {"p", "time", "span"}:
            self._id = attributes["id"]
            self.text_by_id[self._id] = ""

    def handle_endtag(self, tag):
        if tag in {"td", "th"}:
            self._field = None
        if tag == "tr":
            self._row = None
        if tag in {"p", "time", "span"}:
            self._id = None

    def handle_data(self, data):
        if self._row is not None and self._field is not None:
            self._row[self._field] += data
        if self._id is not None:
            self.text_by_id[self._id] += data

    def field(self, service: str, name: str) -> str:
        return " ".join(self.rows[service][name].split())


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- Who may see it ---------------------------------------------------------------------------------


def test_anonymous_users_go_to_the_admin_login(client, project_services):
    response = client.get(PAGE)
    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/health/")


def test_users_who_are_not_staff_are_refused(client, django_user_model, project_services):
    client.force_login(django_user_model.objects.create_user("member", password="member-password-123"))
    assert client.get(PAGE).status_code == 403


def test_inactive_staff_are_logged_out_and_sent_to_the_login(client, django_user_model, project_services):
    user = django_user_model.objects.create_user("former", password="former-password-123", is_staff=True)
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get(PAGE).status_code == 302


def test_staff_get_the_page_inside_the_admin(staff_client, project_services):
    response = staff_client.get(PAGE)
    assert response.status_code == 200
    assert {"admin/base_site.html", "healthdash/admin/health.html"} <= {t.name for t in response.templates}
    html = response.content.decode()
    assert "<title>Service health | Django site admin</title>" in html
    assert '<div class="breadcrumbs">\n<a href="/admin/">Home</a>\n&rsaquo; Service health\n</div>' in html
    assert '<link rel="stylesheet" href="/static/healthdash/health.css">' in html
    assert '<script src="/static/healthdash/health.js" defer></script>' in html
    assert "no-store" in response["Cache-Control"]
    assert staff_client.post(PAGE).status_code == 405


def test_the_admin_index_and_the_sidebar_link_to_the_page(client, django_user_model, project_services):
    client.force_login(django_user_model.objects.create_superuser("root", password="root-password-123"))
    index = client.get("/admin/")
    assert '<a href="/admin/health/">Service health</a>' in index.content.decode()
    assert [app["name"] for app in index.context["app_list"]] == ["Authentication and Authorization",
                                                                   "Health dashboard"]
    page = client.get(PAGE).content.decode()
    assert '<a href="/admin/health/" aria-current="page">Service health</a>' in page


# --- What it shows ----------------------------------------------------------------------------------


def test_every_service_with_status_in_words_critical_latency_time_and_description(staff_client, project_services):
    page = parse(staff_client.get(PAGE))
    assert list(page.rows) == project_services.names()
    database = page.rows["database"]
    assert page.field("database", "status") == "Up"
    assert page.field("database", "critical") == "yes"
    assert page.field("migrations", "critical") == "no"
    assert database["latency"].endswith(" ms")
    assert database["checked"].endswith(" UTC")
    assert page.field("database", "description") == "Database 'default': SELECT 1 on a new connection"
    assert page.field("database", "reason") == "—"
    assert page.text_by_id["healthdash-banner"] == f"Up: all {len(page.rows)} services are up."


def test_services_down_and_degraded_with_their_reasons(staff_client, project_services):
    payments, queue = unique("payments"), unique("queue")

    def refused():
        raise ConnectionError("connection refused by 10.0.0.7")

    project_services.register(payments, refused, description="Payments gateway")
    project_services.register(queue, lambda: CheckResult.degraded("backlog of 900 jobs"), critical=False)
    response = staff_client.get(PAGE)
    assert response.status_code == 200, "the page is for people: it is not a probe"
    page = parse(response)
    assert (page.field(payments, "status"), page.field(payments, "reason")) == (
        "Down", "ConnectionError: connection refused by 10.0.0.7")
    assert (page.field(queue, "status"), page.field(queue, "reason")) == ("Degraded", "backlog of 900 jobs")
    assert page.text_by_id["healthdash-banner"] == f"Down: critical service {payments}."
    classes = {a.get("data-service"): a["class"] for tag, a in page.elements if tag == "tr" and "data-service" in a}
    assert classes[payments] == "healthdash-row healthdash-row--down"
    spans = [a["class"] for tag, a in page.elements if tag == "span" and "healthdash-status" in a.get("class", "")]
    assert "healthdash-status healthdash-status--degraded" in spans


def test_the_page_and_the_json_share_one_run(staff_client, project_services):
    page = parse(staff_client.get(PAGE))
    payload = staff_client.get("/api/v1/health/dashboard").json()
    checked_at = next(a["datetime"] for tag, a in page.elements if a.get("id") == "healthdash-checked-at")
    assert checked_at == payload["checked_at"]


def test_refresh_runs_the_checks_again(staff_client, project_services):
    calls = []
    project_services.register(unique("counted"), lambda: calls.append(1))
    staff_client.get(PAGE)
    staff_client.get(PAGE)
    assert len(calls) == 1, "a page view reuses the cached run"
    staff_client.get(PAGE + "?refresh=1")
    assert len(calls) == 2


def test_a_sparkline_per_service_from_the_latency_history(staff_client, project_services):
    name = unique("charted")
    project_services.register(name, lambda: None)
    for _ in range(3):
        response = staff_client.get(PAGE + "?refresh=1")
    page = parse(response)
    chart = page.charts[page.rows[name]["chart"]]
    samples = [tuple(sample) for sample in json.loads(chart["data-samples"])]
    assert [status for _, status in samples] == ["up", "up", "up"]
    assert chart["role"] == "img"
    assert chart["aria-label"] == sparkline(samples).label
    assert chart["aria-label"].startswith("Latency of the last 3 checks")


def test_tracing_details_come_from_the_tracing_service(staff_client, project_services, restore_tracing_service):
    details = {
        "enabled": True, "active": True, "exporter": "otlp_http", "endpoint": "https://collector.example:4318/v1/traces",
        "service_name": "chimera-backend", "sample_rate": 0.25, "spans_exported": 120, "spans_dropped": 3,
        "last_export": {"result": "failure", "at": "2026-11-26T10:00:00Z", "error": "connection refused"},
    }
    project_services.register("tracing", lambda: CheckResult.up(**details), critical=False, replace=True)
    html = staff_client.get(PAGE).content.decode()
    block = html[html.index('id="healthdash-tracing"'):html.index('id="healthdash-middleware"')]
    for label, text in [("Enabled", "yes"), ("Exporting in this process", "yes"), ("Exporter", "otlp_http"),
                        ("Endpoint", "https://collector.example:4318/v1/traces"), ("Service name", "chimera-backend"),
                        ("Sample rate", "0.25"), ("Spans exported", "120"), ("Spans dropped", "3"),
                        ("Last export", "failure at 2026-11-26 10:00:00 UTC: connection refused")]:
        assert f'<th scope="row">{label}</th><td>{text}</td>' in block


def test_the_tracing_block_reads_observabilitys_tracing_status(staff_client, project_services):
    from observability.tracing.setup import tracing_status

    html = staff_client.get(PAGE + "?refresh=1").content.decode()
    block = html[html.index('id="healthdash-tracing"'):html.index('id="healthdash-middleware"')]
    status = tracing_status()
    for key, label in TRACING_FIELDS:
        if key not in ("last_export", "spans_exported", "spans_dropped"):  # counters move as spans leave
            assert f'<tr data-key="{key}"><th scope="row">{label}</th><td>{tracing_value(key, status[key])}</td>' \
                in block


def test_middleware_and_the_sections_other_apps_add(staff_client, project_services):
    name = unique("queues")
    register_section(name, lambda detailed: {"count": 2, "items": [{"name": "emails", "depth": 3},
                                                                    {"name": "exports", "paused": True}]})
    try:
        html = staff_client.get(PAGE + "?refresh=1").content.decode()
    finally:
        unregister_section(name)
    assert '<tr data-key="csrf"><th scope="row">CSRF protection</th><td class="healthdash-state ' \
           'healthdash-state--active">active</td></tr>' in html
    assert '<th scope="row">local</th><td>yes</td><td>yes</td>' in html  # chimera's providers
    section = html[html.index(f'data-section="{name}"'):]
    assert '<th scope="col">Name</th><th scope="col">Depth</th><th scope="col">Paused</th>' in section
    assert '<tr><th scope="row">exports</th><td>—</td><td>yes</td></tr>' in section
    assert "Count: 2" in section


# --- What it never shows or does --------------------------------------------------------------------


def test_no_secret_reaches_the_page(staff_client, project_services, settings, use_api_keys):
    use_api_keys(API_KEY)

    def leaky():
        raise RuntimeError(f"login failed for postgres://app:{DB_PASSWORD}@db/app with key {API_KEY} "
                           f"signed by {settings.SECRET_KEY}")

    project_services.register(unique("leaky"), leaky, description=f"password={DB_PASSWORD}")
    project_services.register(unique("detailed"), lambda: CheckResult.up(token=API_KEY, url=f"redis://:{DB_PASSWORD}@r"))
    register_section("credentials", lambda detailed: {"api_key": API_KEY, "note": f"signed by {settings.SECRET_KEY}"})
    try:
        html = staff_client.get(PAGE + "?refresh=1").content.decode()
    finally:
        unregister_section("credentials")
    assert "RuntimeError: login failed for postgres://app:***@db/app" in html
    assert API_KEY not in html
    assert DB_PASSWORD not in html
    assert settings.SECRET_KEY not in html


def test_names_and_reasons_are_escaped(staff_client, project_services):
    name = '<img src=x onerror="alert(1)">'
    project_services.register(name, lambda: CheckResult.degraded("<script>alert(2)</script>"),
                              description="<b>bold</b>")
    html = staff_client.get(PAGE).content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_the_markup_obeys_a_strict_content_security_policy(staff_client, project_services):
    page = parse(staff_client.get(PAGE))
    scripts = [a for tag, a in page.elements if tag == "script"]
    assert scripts and all(a.get("src", "").startswith("/static/") for a in scripts), "no inline script"
    assert not [a for _, a in page.elements if "style" in a], "no style attribute"
    assert not [a for _, a in page.elements if any(k.startswith("on") for k in a)], "no event handler attribute"
    assert "style" not in {tag for tag, _ in page.elements}, "no style element"
    for tag, attributes in page.elements:
        for key in ("src", "href", "action"):
            assert not attributes.get(key, "/").lower().startswith(("http:", "https:", "//", "javascript:")), (tag, key)


# --- Another admin site -----------------------------------------------------------------------------


class OpsSite(HealthAdminSiteMixin, AdminSite):
    """A project's own admin site, with the health page mixed in."""


ops_site = OpsSite(name="ops")


def urlpatterns_with_ops_site():
    from django.urls import include, path

    return [path("", include("healthdash.urls")), path("ops/", ops_site.urls)]


urlpatterns = urlpatterns_with_ops_site()


@pytest.mark.urls(__name__)
def test_a_site_of_its_own_gets_the_page_under_its_url(staff_client, project_services):
    response = staff_client.get("/ops/health/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/ops/">Home</a>' in html
    assert 'data-login-url="/ops/login/?next=/ops/health/"' in html
    assert Client().get("/ops/health/")["Location"] == "/ops/login/?next=/ops/health/"


def test_the_page_names_every_variable_the_admin_templates_read(staff_client, project_services, caplog):
    # At DEBUG, Django logs each variable a template reads that the context lacks, with the whole
    # context: the CSRF token and the session's user included.
    with caplog.at_level(logging.DEBUG, logger="django.template"):
        assert staff_client.get(PAGE).status_code == 200
    assert [record.getMessage() for record in caplog.records if record.name == "django.template"] == []
