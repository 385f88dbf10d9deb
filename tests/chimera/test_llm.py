"""Providers and the LLM service, against a real chat-completions server on 127.0.0.1."""

from __future__ import annotations

import logging
import time

import pytest

from chimera.conf import RemoteProviderConfig, parse_service
from chimera.llm import base
from chimera.llm.local import LocalProvider
from chimera.llm.remote import ChatCompletionsProvider
from chimera.llm.service import FAILURE_WINDOW, LLMService, get_llm_service
from tests.chimera.conftest import GOOGLE_KEY
from tests.support.processes import free_port


def remote(url: str, timeout: float = 5.0, api_key: str = GOOGLE_KEY) -> ChatCompletionsProvider:
    return ChatCompletionsProvider(RemoteProviderConfig("google", url, "gemini-test", timeout, api_key))


def test_local_provider_is_deterministic_and_offline():
    first, second = LocalProvider().generate("hello world"), LocalProvider().generate("hello world")
    assert first == second
    assert first.provider == "local" and first.model == "local-echo-1"
    assert first.text.startswith("[local] 2 words, digest ") and first.text.endswith(": hello world")
    assert LocalProvider().generate("other").text != first.text


def test_remote_provider_speaks_chat_completions(chat_server):
    chat_server.clear()
    generation = remote(chat_server.url("ok")).generate("Say hi")
    assert generation == base.Generation("echo: Say hi", "google", "gemini-test")
    received = chat_server.last()
    assert (received.method, received.path) == ("POST", "/ok/v1/chat/completions")
    assert received.headers["authorization"] == f"Bearer {GOOGLE_KEY}"
    assert received.body == {"model": "gemini-test", "messages": [{"role": "user", "content": "Say hi"}]}


@pytest.mark.parametrize(("mode", "failure", "message"), [
    ("error", base.ProviderError, "Provider google answered HTTP 500."),
    ("garbage", base.ProviderError, "Provider google answered something that is not a chat completion."),
    ("huge", base.ProviderError, "Provider google answered more than 2097152 bytes."),
    # JSON nested 200,000 deep overflows the parser: a provider's failure like any other bad answer.
    ("nested", base.ProviderError, "Provider google answered something that is not a chat completion."),
])
def test_remote_failures(chat_server, mode, failure, message):
    with pytest.raises(failure) as caught:
        remote(chat_server.url(mode)).generate("hi")
    assert type(caught.value) is failure
    assert caught.value.message == message


def test_remote_timeout(chat_server):
    with pytest.raises(base.ProviderTimeout, match="did not answer within 0.3 seconds"):
        remote(chat_server.url("slow"), timeout=0.3).generate("hi")


def test_the_timeout_bounds_a_trickled_answer(chat_server):
    # One byte every half second: no read ever waits 1.5 s, yet the call must end after 1.5 s.
    started = time.monotonic()
    with pytest.raises(base.ProviderTimeout, match="did not answer within 1.5 seconds"):
        remote(chat_server.url("trickle"), timeout=1.5).generate("hi")
    assert 1.4 < time.monotonic() - started < 2.5


def test_a_deadline_leaves_pooled_connections_usable(chat_server):
    provider = remote(chat_server.url("ok"), timeout=1.0)
    for _ in range(3):
        assert provider.generate("again").text == "echo: again"


def test_unreachable_provider():
    with pytest.raises(base.ProviderError, match="could not be reached"):
        remote(f"http://127.0.0.1:{free_port()}/v1").generate("hi")


def test_failures_are_logged_without_key_or_url(chat_server, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(base.ProviderError):
        remote(chat_server.url("error")).generate("hi")
    assert ("chimera.llm.remote", logging.WARNING, "Provider google answered HTTP 500") in caplog.record_tuples
    assert GOOGLE_KEY not in caplog.text


def test_repr_never_shows_the_key():
    provider = remote("http://127.0.0.1:9/v1")
    assert GOOGLE_KEY not in repr(provider) and GOOGLE_KEY not in repr(provider.config)


def service(**variables) -> LLMService:
    return LLMService.from_config(parse_service(variables)[0])


def test_service_uses_the_default_provider_and_refuses_unknown_names():
    svc = service()
    assert svc.generate("hi").provider == "local"
    with pytest.raises(base.UnknownProvider, match="Unknown provider 'gpt'; known providers: local, google, openai"):
        svc.generate("hi", "gpt")


def test_unconfigured_provider_is_refused_before_any_call():
    with pytest.raises(base.ProviderNotConfigured, match="CHIMERA_PROVIDER_OPENAI_API_KEY is not set"):
        service().generate("hi", "openai")


def test_statuses_come_from_configuration():
    svc = service(CHIMERA_DEFAULT_PROVIDER="openai", CHIMERA_PROVIDER_OPENAI_API_KEY="k")
    assert [s.as_dict() for s in svc.statuses()] == [
        {"name": "local", "configured": True, "available": True, "default": False, "reason": None},
        {"name": "google", "configured": False, "available": False, "default": False,
         "reason": "CHIMERA_PROVIDER_GOOGLE_API_KEY is not set"},
        {"name": "openai", "configured": True, "available": True, "default": True, "reason": None},
    ]


def test_a_recent_failure_makes_a_provider_unavailable_until_it_answers_again(chat_server):
    now = [1000.0]
    svc = LLMService([LocalProvider(), remote(chat_server.url("error"))], "local", clock=lambda: now[0])
    with pytest.raises(base.ProviderError):
        svc.generate("hi", "google")
    now[0] += 5
    status = svc.statuses()[1]
    assert (status.available, status.reason) == (False, "last call failed (error) 5s ago")
    now[0] += FAILURE_WINDOW
    assert svc.statuses()[1].available is True
    svc.providers["google"] = remote(chat_server.url("slow"), timeout=0.2)
    with pytest.raises(base.ProviderTimeout):
        svc.generate("hi", "google")
    assert svc.statuses()[1].reason == "last call failed (timeout) 0s ago"
    svc.providers["google"] = remote(chat_server.url("ok"))
    svc.generate("hi", "google")
    assert svc.statuses()[1].available is True


def test_running_service_follows_settings(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "google"}
    assert get_llm_service().default == "google"
    settings.CHIMERA_SERVICE = {}
    assert get_llm_service().default == "local"


def test_one_client_per_process_and_tracer_provider(monkeypatch, global_tracer_provider):
    from opentelemetry.sdk.trace import TracerProvider

    from chimera.llm import http

    client = http.get_client()  # tracing off: no provider installed
    assert http.get_client() is client
    assert not getattr(client, "_is_instrumented_by_opentelemetry", False)  # no-op spans cost nothing
    global_tracer_provider(TracerProvider())
    assert http.get_client() is not client  # spans must reach the provider now installed
    after_swap = http.get_client()
    assert getattr(after_swap, "_is_instrumented_by_opentelemetry", False)
    monkeypatch.setattr(http.os, "getpid", lambda: -1)
    assert http.get_client() is not after_swap  # a forked worker never reuses its parent's sockets


def test_every_provider_call_is_timed_by_outcome(chat_server, settings):
    from observability.metrics.setup import prometheus_backend

    settings.OBSERVABILITY = {**settings.OBSERVABILITY}  # a fresh in-memory registry for this test
    svc = LLMService([LocalProvider(), remote(chat_server.url("slow"), timeout=0.3)], "local")
    svc.generate("hello")
    with pytest.raises(base.ProviderTimeout):
        svc.generate("hello", "google")
    registry = prometheus_backend().registry
    name = "chimera_provider_request_duration_seconds"
    assert registry.get_sample_value(f"{name}_count", {"provider": "local", "outcome": "ok"}) == 1
    assert registry.get_sample_value(f"{name}_count", {"provider": "google", "outcome": "timeout"}) == 1
    assert registry.get_sample_value(f"{name}_sum", {"provider": "google", "outcome": "timeout"}) >= 0.3
