"""The service layer on the health dashboard: llm_service, transformation_engine, providers."""

from __future__ import annotations

import pytest

from chimera import health
from chimera.apps import register_health
from chimera.conf import parse_service
from chimera.llm.base import ProviderError
from chimera.llm.local import LocalProvider
from chimera.llm.remote import ChatCompletionsProvider
from chimera.llm.service import LLMService
from healthdash.registry import service_registry
from healthdash.sections import section_registry
from healthdash.status import Status
from tests.chimera.conftest import API_KEY, GOOGLE_KEY

DASHBOARD = "/api/v1/health/dashboard"


@pytest.mark.django_db
def test_dashboard_shows_the_services_and_the_providers(client, remote):
    response = client.get(DASHBOARD, {"refresh": "1"}, HTTP_X_API_KEY=API_KEY)
    assert response.status_code == 200, response.content
    body = response.json()
    for name in ("llm_service", "transformation_engine"):
        assert body["services"][name]["registered"] is True
        assert body["services"][name]["status"] == "up"
        assert body["services"][name]["critical"] is True
    assert body["providers"]["count"] == 3 > 0
    assert [item["name"] for item in body["providers"]["items"]] == ["local", "google", "openai"]
    assert body["services"]["llm_service"]["details"] == {
        "default_provider": "local", "available": ["local", "google", "openai"], "not_configured": []}
    assert GOOGLE_KEY not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_callers_see_statuses_but_no_reasons(client, configure):
    body = client.get(DASHBOARD).json()
    assert body["services"]["llm_service"] == {"registered": True, "status": "up", "critical": True,
                                               "latency_ms": body["services"]["llm_service"]["latency_ms"]}
    google = body["providers"]["items"][1]
    assert google == {"name": "google", "configured": False, "available": False, "default": False, "reason": None}


def test_providers_section_gives_reasons_to_authorized_callers(configure):
    items = health.providers_section(detailed=True)["items"]
    assert items[1]["reason"] == "CHIMERA_PROVIDER_GOOGLE_API_KEY is not set"
    assert health.providers_section(detailed=False)["count"] == 3


def test_probe_costs_nothing_at_the_provider(remote, chat_server):
    chat_server.clear()
    result = health.check_llm_service()
    assert result.status is Status.UP
    assert chat_server.received == []


def test_down_when_the_default_provider_cannot_be_called(configure):
    configure(CHIMERA_DEFAULT_PROVIDER="openai")
    with pytest.raises(health.LLMServiceDown, match=r"default provider openai is not configured "
                                                    r"\(CHIMERA_PROVIDER_OPENAI_API_KEY is not set\)"):
        health.check_llm_service()


def test_degraded_while_a_provider_recently_failed(chat_server):
    config = parse_service({"CHIMERA_PROVIDER_GOOGLE_URL": chat_server.url("error"),
                            "CHIMERA_PROVIDER_GOOGLE_API_KEY": GOOGLE_KEY})[0]
    service = LLMService([LocalProvider(), ChatCompletionsProvider(config.remotes["google"])], "local")
    with pytest.raises(ProviderError):
        service.generate("hi", "google")
    result = health.check_llm_service(service)
    assert result.status is Status.DEGRADED
    assert result.reason.startswith("google: last call failed (error)")


def test_transformation_engine_check(configure):
    configure(CHIMERA_PROMPT_TEMPLATE="Q: {prompt}", CHIMERA_PROMPT_MAX_CHARS=5)
    result = health.check_transformation_engine()
    assert (result.status, result.details) == (Status.UP, {"max_chars": 5})


def test_registration_may_run_twice():
    register_health()
    register_health()
    assert {"llm_service", "transformation_engine"} <= set(service_registry.names())
    assert "providers" in section_registry.names()
    assert service_registry.get("llm_service").check is health.check_llm_service


def test_the_cache_is_shown_but_not_critical():
    # Throttling and the failed-authentication limit fail open: a cache outage degrades, never downs.
    from chimera.apps import register_health
    from healthdash.registry import service_registry

    register_health()
    register_health()  # ready() may run twice
    cache = service_registry.get("cache")
    assert cache.critical is False
    assert cache.description.count("not critical") == 1
