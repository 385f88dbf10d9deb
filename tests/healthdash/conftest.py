"""Fixtures of the healthdash tests: fresh registries, a private pool, API keys, a staff client."""

from __future__ import annotations

import json
import threading

import pytest
from rest_framework.test import APIRequestFactory

from healthdash.api import DashboardView
from healthdash.dashboard import Dashboard, dashboard_for
from healthdash.pool import CheckPool
from healthdash.registry import ServiceRegistry, service_registry
from healthdash.runner import Runner
from healthdash.sections import SectionRegistry

API_KEY = "health-test-key-0123456789abcdef"
OTHER_KEY = "health-other-key-fedcba9876543210"


@pytest.fixture
def registry() -> ServiceRegistry:
    return ServiceRegistry()


@pytest.fixture
def sections() -> SectionRegistry:
    return SectionRegistry()


@pytest.fixture
def pool() -> CheckPool:
    """A pool of this test's own, so thread counts are not disturbed by other tests."""
    return CheckPool(16)


@pytest.fixture
def runner(registry, pool) -> Runner:
    return Runner(registry, pool)


@pytest.fixture
def dashboard(registry, sections, runner) -> Dashboard:
    return Dashboard(registry, sections, runner)


@pytest.fixture
def release():
    """An event hung checks wait for; set when the test ends so their threads finish."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def hang(release):
    """A check that never returns while the test runs."""
    def hung_check():
        release.wait()
    return hung_check


@pytest.fixture
def api_keys(use_api_keys) -> tuple[str, str]:
    use_api_keys(OTHER_KEY, API_KEY)
    return API_KEY, OTHER_KEY


@pytest.fixture
def healthdash_settings(settings):
    """Set HEALTHDASH keys for one test: ``healthdash_settings(HEALTH_ANONYMOUS="deny")``."""
    def update(**values):
        settings.HEALTHDASH = {**settings.HEALTHDASH, **values}
    return update


@pytest.fixture
def call_view(registry, sections):
    """GET the dashboard view of the fresh registry, in-process: ``call_view(headers=..., user=...)``."""
    view = DashboardView.as_view(registry=registry, sections=sections)
    factory = APIRequestFactory()

    def call(query: str = "", user=None, **headers):
        request = factory.get("/api/v1/health/dashboard" + query, **headers)
        if user is not None:
            from rest_framework.test import force_authenticate
            force_authenticate(request, user=user)
        response = view(request)
        response.render()
        response.json = lambda: json.loads(response.content)
        return response
    yield call
    dashboard_for(registry, sections).clear()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="staff-password-123", is_staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def project_services():
    """The project's registry and dashboard, with every service added by the test removed afterwards."""
    before = service_registry.names()
    dashboard_for().clear()
    yield service_registry
    for name in set(service_registry.names()) - set(before):
        service_registry.unregister(name)
    dashboard_for().clear()
