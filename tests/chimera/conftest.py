"""Fixtures of the service layer's tests: API keys, provider settings, a chat-completions server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.chat_server import ChatCompletionsServer

API_KEY = "test-api-key-0123456789abcdef"
GOOGLE_KEY = "google-secret-key-never-shown-7f3a"
OPENAI_KEY = "openai-secret-key-never-shown-9c1d"


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatCompletionsServer]:
    """A chat-completions provider on 127.0.0.1, shared by a module's tests."""
    with ChatCompletionsServer() as server:
        yield server


@pytest.fixture
def configure(settings, use_api_keys) -> Callable[..., None]:
    """Set the service's variables for one test (throttling off unless given); API_KEY is valid."""
    use_api_keys(API_KEY)

    def apply(**variables: object) -> None:
        settings.CHIMERA_SERVICE = {"CHIMERA_THROTTLE_RATE": "off", **variables}

    apply()
    return apply


@pytest.fixture
def remote(configure, chat_server) -> Callable[..., None]:
    """Point google (and openai) at the chat server: remote("slow") for a provider that hangs."""

    def apply(mode: str = "ok", timeout: float = 5.0, **variables: object) -> None:
        chat_server.clear()
        configure(
            CHIMERA_PROVIDER_GOOGLE_URL=chat_server.url(mode), CHIMERA_PROVIDER_GOOGLE_API_KEY=GOOGLE_KEY,
            CHIMERA_PROVIDER_GOOGLE_TIMEOUT=timeout, CHIMERA_PROVIDER_OPENAI_URL=chat_server.url(mode),
            CHIMERA_PROVIDER_OPENAI_API_KEY=OPENAI_KEY, **variables,
        )

    apply()
    return apply
