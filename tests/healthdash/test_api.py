"""GET /api/v1/health/dashboard: visibility by audience, formats, headers, status codes, secrets."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from healthdash.status import CheckResult
from tests.healthdash.conftest import API_KEY

URL = "/api/v1/health/dashboard"
DB_PASSWORD = "db-pass-Zq81x"
REDIS_PASSWORD = "redis-pass-Yw52k"
HEADER_SECRET = "hc-team-secret-Xv07"


def healthy(registry):
    registry.register("database", lambda: CheckResult.up(version="16"), description="Main database")
    registry.register("cache", lambda: None, critical=False)


def test_anonymous_callers_get_statuses_only(registry, call_view):
    healthy(registry)
    response = call_view()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "checked_at", "services", "middleware", "maintenance"}
    assert body["maintenance"] == {"on": False, "since": None}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["checked_at"])
    assert body["services"]["database"] == {
        "registered": True, "status": "up", "critical": True, "latency_ms": body["services"]["database"]["latency_ms"],
    }
    assert isinstance(body["services"]["database"]["latency_ms"], float)


def test_api_key_callers_get_details(registry, call_view, api_keys):
    healthy(registry)
    body = call_view(HTTP_X_API_KEY=API_KEY).json()
    database = body["services"]["database"]
    assert database["details"] == {"version": "16"}
    assert database["description"] == "Main database"
    assert database["reason"] is None
    assert "checked_at" in database
    assert "duration_ms" in body


@pytest.mark.django_db
def test_staff_users_get_details(registry, call_view, staff_user, django_user_model):
    healthy(registry)
    assert "details" in call_view(user=staff_user).json()["services"]["database"]
    member = django_user_model.objects.create_user("member", password="member-password-123")
    assert "details" not in call_view(user=member).json()["services"]["database"]


@pytest.mark.django_db
def test_staff_session_through_the_project_url(staff_client, project_services):
    body = staff_client.get(URL).json()
    assert "details" in body["services"]["database"]


def test_a_wrong_api_key_is_refused(registry, call_view, api_keys):
    healthy(registry)
    response = call_view(HTTP_X_API_KEY="not-a-key")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    assert "not-a-key" not in response.content.decode()


def test_no_api_key_configured_means_no_key_is_valid(registry, call_view):
    healthy(registry)
    assert call_view(HTTP_X_API_KEY="").status_code == 200
    assert call_view(HTTP_X_API_KEY="anything").status_code == 401


def test_anonymous_overall_only(registry, call_view, healthdash_settings):
    healthdash_settings(HEALTH_ANONYMOUS="overall")
    healthy(registry)
    assert call_view().json() == {"status": "up"}


def test_anonymous_denied(registry, call_view, healthdash_settings, api_keys):
    healthdash_settings(HEALTH_ANONYMOUS="deny")
    healthy(registry)
    response = call_view()
    assert response.status_code == 401
    assert "services" not in response.json()
    assert call_view(HTTP_X_API_KEY=API_KEY).status_code == 200


def test_critical_service_down_is_503_and_never_a_500(registry, call_view):
    def broken():
        raise RuntimeError("boom")

    registry.register("database", broken)
    response = call_view()
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["services"]["database"]["status"]) == ("down", "down")
    assert "reason" not in body["services"]["database"]


def test_non_critical_service_down_is_degraded_and_200(registry, call_view, api_keys):
    def broken():
        raise RuntimeError("boom")

    registry.register("database", lambda: None)
    registry.register("search", broken, critical=False)
    response = call_view(HTTP_X_API_KEY=API_KEY)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["services"]["search"]["reason"] == "RuntimeError: boom"


def test_refresh_only_for_authorized_callers(registry, call_view, api_keys):
    calls = []
    registry.register("counted", lambda: calls.append(1))
    call_view()
    call_view("?refresh=1")
    assert len(calls) == 1, "an anonymous refresh is served from the cache"
    call_view("?refresh=1", HTTP_X_API_KEY=API_KEY)
    assert len(calls) == 2


def test_headers_forbid_caching_and_vary_by_caller(registry, call_view):
    healthy(registry)
    response = call_view()
    assert "no-store" in response["Cache-Control"]
    assert {v.strip() for v in response["Vary"].split(",")} >= {"Accept", "Cookie", "X-API-Key"}


class TestHealthJson:
    def test_anonymous(self, registry, call_view):
        healthy(registry)
        response = call_view(HTTP_ACCEPT="application/health+json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/health+json"
        body = json.loads(response.content)
        assert body["status"] == "pass"
        [database] = body["checks"]["database:responseTime"]
        assert set(database) == {"componentId", "componentType", "observedValue", "observedUnit", "status"}
        assert (database["componentId"], database["observedUnit"], database["status"]) == ("database", "ms", "pass")
        assert isinstance(database["observedValue"], float)

    def test_detailed_has_time_and_output(self, registry, call_view, api_keys):
        registry.register("cache", lambda: CheckResult.degraded("evicting"), critical=False)
        body = json.loads(call_view(HTTP_ACCEPT="application/health+json", HTTP_X_API_KEY=API_KEY).content)
        [cache] = body["checks"]["cache:responseTime"]
        assert (body["status"], cache["status"], cache["output"]) == ("warn", "warn", "evicting")
        assert cache["time"].endswith("Z")

    def test_fail_is_503(self, registry, call_view):
        registry.register("database", lambda: 1 / 0)
        response = call_view(HTTP_ACCEPT="application/health+json")
        assert response.status_code == 503
        assert json.loads(response.content)["status"] == "fail"

    def test_overall_only(self, registry, call_view, healthdash_settings):
        healthdash_settings(HEALTH_ANONYMOUS="overall")
        healthy(registry)
        assert json.loads(call_view(HTTP_ACCEPT="application/health+json").content) == {"status": "pass"}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_no_secret_at_any_level_or_in_any_format(registry, sections, call_view, api_keys, settings, caplog):
    settings.DATABASES = {**settings.DATABASES, "reports": {**settings.DATABASES["default"], "PASSWORD": DB_PASSWORD}}
    settings.CACHES = {**settings.CACHES, "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                    "LOCATION": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0"}}
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "TRACING_HEADERS": f"x-honeycomb-team={HEADER_SECRET}"}
    secrets = (DB_PASSWORD, REDIS_PASSWORD, HEADER_SECRET, API_KEY)

    def leaky():
        raise ConnectionError(f"auth failed for {DB_PASSWORD} via {REDIS_PASSWORD} headers {HEADER_SECRET} "
                              f"key {API_KEY}")

    registry.register("leaky", leaky, description=f"uses {API_KEY}")
    registry.register("details", lambda: CheckResult.degraded(
        f"reason with {DB_PASSWORD}", dsn=f"host=db password={DB_PASSWORD}", note=f"{HEADER_SECRET}"))
    sections.register("extra", lambda detailed: {"nested": [f"{REDIS_PASSWORD}"]})
    with caplog.at_level(logging.DEBUG):
        outputs = [
            call_view(HTTP_X_API_KEY=API_KEY).content,
            call_view("?refresh=1", HTTP_X_API_KEY=API_KEY, HTTP_ACCEPT="application/health+json").content,
            call_view().content,
        ]
    text = b"".join(outputs).decode() + caplog.text
    assert "ConnectionError: auth failed for ***" in text
    for secret in secrets:
        assert secret not in text


def test_a_check_that_hangs_forever_neither_blocks_the_dashboard_nor_piles_up_threads(
        registry, call_view, api_keys, hang, healthdash_settings):
    healthdash_settings(HEALTH_DEADLINE=0.5)
    registry.register("hung", hang, timeout=30)
    registry.register("fine", lambda: None)
    started = time.monotonic()
    response = call_view(HTTP_X_API_KEY=API_KEY)
    assert time.monotonic() - started < 3, "the deadline bounds the answer"
    assert response.status_code == 503
    assert response.json()["services"]["hung"]["reason"] == "timeout"
    assert response.json()["services"]["fine"]["status"] == "up"
    threads = threading.active_count()
    for number in range(20):
        query = "?refresh=1" if number % 2 else ""
        assert call_view(query, HTTP_X_API_KEY=API_KEY).json()["services"]["hung"]["reason"] == "timeout"
    assert threading.active_count() <= threads


def test_fifty_concurrent_requests_run_each_check_once(registry, call_view):
    calls = []

    def slow(name):
        def check():
            calls.append(name)
            time.sleep(0.3)
        return check

    for name in ("database", "cache", "queue"):
        registry.register(name, slow(name))
    barrier = threading.Barrier(50)

    def request(_):
        barrier.wait(timeout=10)
        return call_view()

    with ThreadPoolExecutor(50) as clients:
        responses = list(clients.map(request, range(50)))
    assert sorted(calls) == ["cache", "database", "queue"]
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["checked_at"] for r in responses}) == 1
