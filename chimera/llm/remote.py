"""Remote providers speaking the OpenAI-compatible chat-completions API over HTTP."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import httpx

from chimera.conf import RemoteProviderConfig
from chimera.llm.base import Generation, ProviderError, ProviderTimeout
from chimera.llm.deadline import within
from chimera.llm.http import get_client

logger = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
CONNECT_TIMEOUT = 5.0


class ChatCompletionsProvider:
    """One remote provider (Gemini's OpenAI-compatible endpoint, OpenAI, ...)."""

    def __init__(self, config: RemoteProviderConfig, client: Callable[[], httpx.Client] = get_client):
        self.config = config
        self.name = config.name
        self.model = config.model
        self._client = client

    def __repr__(self) -> str:
        return f"<ChatCompletionsProvider {self.name} model={self.model!r}>"

    @property
    def configured(self) -> bool:
        """Whether it has an API key."""
        return self.config.configured

    @property
    def not_configured_reason(self) -> str | None:
        """Which variable to set, when it has no API key."""
        return None if self.configured else f"{self.config.key_variable} is not set"

    def generate(self, prompt: str) -> Generation:
        """POST the prompt to ``<url>/chat/completions`` and return the first choice.

        The timeout bounds the whole call: a provider trickling its answer is cut off in time.
        """
        started = time.monotonic()
        try:
            with within(self.config.timeout):
                status, body = self._post(prompt)
        except httpx.TimeoutException:
            logger.warning("Provider %s timed out after %.1fs", self.name, time.monotonic() - started)
            raise ProviderTimeout(self.name, f"Provider {self.name} did not answer within "
                                             f"{self.config.timeout:g} seconds.") from None
        except httpx.HTTPError as exc:
            logger.warning("Provider %s unreachable: %s", self.name, type(exc).__name__)
            raise ProviderError(self.name, f"Provider {self.name} could not be reached.") from None
        if not 200 <= status < 300:
            logger.warning("Provider %s answered HTTP %s", self.name, status)
            raise ProviderError(self.name, f"Provider {self.name} answered HTTP {status}.")
        return self._parse(body)

    def _post(self, prompt: str) -> tuple[int, bytes]:
        payload = {"model": self.model, "messages": [{"role": "user", "content": prompt}]}
        timeout = httpx.Timeout(self.config.timeout, connect=min(CONNECT_TIMEOUT, self.config.timeout))
        headers = {"Authorization": f"Bearer {self.config.api_key}", "Accept": "application/json"}
        with self._client().stream("POST", f"{self.config.url}/chat/completions", json=payload,
                                   headers=headers, timeout=timeout) as response:
            return response.status_code, _read_bounded(response, self.name)

    def _parse(self, body: bytes) -> Generation:
        try:
            data = json.loads(body)
            text = data["choices"][0]["message"]["content"]
            model = data.get("model") or self.model
        # RecursionError: JSON nested deeper than the parser can follow ([[[[... from a broken provider).
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
            text = model = None
        if not isinstance(text, str) or not isinstance(model, str):
            logger.warning("Provider %s answered something that is not a chat completion", self.name)
            raise ProviderError(self.name, f"Provider {self.name} answered something that is not a chat completion.")
        return Generation(text=text, provider=self.name, model=model)


def _read_bounded(response: httpx.Response, name: str) -> bytes:
    """The body, refusing one larger than MAX_RESPONSE_BYTES (memory stays bounded)."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ProviderError(name, f"Provider {name} answered more than {MAX_RESPONSE_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
