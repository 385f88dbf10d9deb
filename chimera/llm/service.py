"""The LLM service: finds the provider a request names, calls it, and remembers recent failures.

Recent failures feed the health dashboard at no cost to the provider: a provider whose last
call failed less than FAILURE_WINDOW seconds ago is shown as unavailable, with the reason.
They are kept per process (each gunicorn worker reports what it has seen).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chimera import conf
from chimera.llm.base import (
    Generation,
    Provider,
    ProviderFailure,
    ProviderNotConfigured,
    ProviderStatus,
    UnknownProvider,
)
from chimera.llm.local import LocalProvider
from chimera.llm.remote import ChatCompletionsProvider
from observability.alerting.contributions import Panel
from observability.alerting.dashboard import SELECTOR
from observability.metrics.recording import Instrument
from observability.parsing import cached_until_changed

FAILURE_WINDOW = 60.0
OK = "ok"
# OpenTelemetry's advice for gen_ai.client.operation.duration, in seconds: model calls take
# from tens of milliseconds to over a minute.
PROVIDER_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
PROVIDER_DURATION = Instrument(
    "chimera.provider.request.duration", "histogram", "s", "Duration of calls to LLM providers, by outcome.",
    ("provider", "outcome"), PROVIDER_BUCKETS,
)


def provider_panels() -> list[Panel]:
    """The dashboard's provider panels (``manage.py observability_rules``): latency and outcomes per provider."""
    name, selector, rate = PROVIDER_DURATION.prometheus_name, SELECTOR, "$__rate_interval"
    return [
        Panel("Provider latency (p95)", ((f"histogram_quantile(0.95, sum by (provider, le) "
                                         f"(rate({name}_bucket{{{selector}}}[{rate}])))", "{{provider}}"),), "s"),
        Panel("Provider calls by outcome", ((f"sum by (provider, outcome) (rate({name}_count{{{selector}}}[{rate}]))",
                                            "{{provider}}: {{outcome}}"),), "reqps"),
    ]


class LLMService:
    """The providers of one configuration, by name."""

    def __init__(self, providers: list[Provider], default: str, clock: Callable[[], float] = time.monotonic):
        self.providers = {provider.name: provider for provider in providers}
        self.default = default
        self._clock = clock
        self._failures: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: conf.ServiceConfig) -> LLMService:
        """Local plus every remote provider of `config`, configured or not."""
        remotes = [ChatCompletionsProvider(remote) for remote in config.remotes.values()]
        return cls([LocalProvider(), *remotes], default=config.default_provider)

    def provider(self, name: str | None = None) -> Provider:
        """The provider called `name` (the default when None); raises UnknownProvider."""
        name = self.default if name is None else name
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(self.providers)
            raise UnknownProvider(name, f"Unknown provider {name!r}; known providers: {known}.") from None

    def generate(self, prompt: str, provider_name: str | None = None) -> Generation:
        """Ask the named (or default) provider; raises ProviderFailure subclasses."""
        provider = self.provider(provider_name)
        if not provider.configured:
            raise ProviderNotConfigured(provider.name, f"Provider {provider.name} is not configured "
                                                       f"({provider.not_configured_reason}).")
        started, outcome = time.perf_counter(), ProviderFailure.kind  # whatever else it raises is an error
        try:
            generation = provider.generate(prompt)
            outcome = OK
        except ProviderFailure as failure:
            outcome = failure.kind
            self._record_failure(provider.name, failure.kind)
            raise
        finally:
            PROVIDER_DURATION.record(time.perf_counter() - started, provider.name, outcome)
        with self._lock:
            self._failures.pop(provider.name, None)
        return generation

    def _record_failure(self, name: str, kind: str) -> None:
        with self._lock:
            self._failures[name] = (self._clock(), kind)

    def statuses(self) -> list[ProviderStatus]:
        """Every provider's status, from configuration and recent failures only."""
        return [self._status(provider) for provider in self.providers.values()]

    def _status(self, provider: Provider) -> ProviderStatus:
        default = provider.name == self.default
        if not provider.configured:
            return ProviderStatus(provider.name, False, False, default, provider.not_configured_reason)
        with self._lock:
            failed_at, kind = self._failures.get(provider.name, (None, ""))
        if failed_at is not None and self._clock() - failed_at < FAILURE_WINDOW:
            ago = self._clock() - failed_at
            return ProviderStatus(provider.name, True, False, default, f"last call failed ({kind}) {ago:.0f}s ago")
        return ProviderStatus(provider.name, True, True, default)


@cached_until_changed(conf.SETTINGS_NAME)
def get_llm_service() -> LLMService:
    """The service for the running configuration (rebuilt when settings change)."""
    return LLMService.from_config(conf.get_service_config())
