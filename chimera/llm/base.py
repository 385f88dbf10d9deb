"""What every provider offers, what it returns, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Generation:
    """A provider's answer to one prompt."""

    text: str
    provider: str
    model: str


@dataclass(frozen=True)
class ProviderStatus:
    """What the health dashboard shows of a provider; costs nothing at the provider."""

    name: str
    configured: bool
    available: bool
    default: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The dashboard's item: name, configured, available, default, reason."""
        return {"name": self.name, "configured": self.configured, "available": self.available,
                "default": self.default, "reason": self.reason}


class ProviderFailure(Exception):
    """A provider could not answer; the message names the provider, never its key or URL.

    `kind` is the failure in a word (shown on the dashboard); `code` its code in the API's errors.
    """

    kind = "error"
    code = "provider_error"

    def __init__(self, provider: str, message: str):
        super().__init__(message)
        self.provider = provider
        self.message = message


class UnknownProvider(ProviderFailure):
    """No provider has this name."""

    kind = "unknown"
    code = "unknown_provider"


class ProviderNotConfigured(ProviderFailure):
    """The provider exists but cannot be called here (no API key)."""

    kind = "not_configured"
    code = "provider_not_configured"


class ProviderTimeout(ProviderFailure):
    """The provider did not answer within its timeout."""

    kind = "timeout"
    code = "provider_timeout"


class ProviderError(ProviderFailure):
    """The provider could not be reached, failed, or answered something unusable."""

    kind = "error"
    code = "provider_error"


class Provider(Protocol):
    """A source of generations."""

    name: str
    model: str

    @property
    def configured(self) -> bool:
        """Whether it can be called at all."""

    @property
    def not_configured_reason(self) -> str | None:
        """Why it is not configured, naming the variable to set; None when it is."""

    def generate(self, prompt: str) -> Generation:
        """Answer `prompt`; raises ProviderFailure subclasses."""
