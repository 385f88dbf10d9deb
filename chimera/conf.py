"""Configuration of the service layer: declared once, parsed once, reported as checks and errors.

``chimera/settings.py`` forwards into ``settings.CHIMERA_SERVICE`` only the variables the
operator set, keyed by their names (``{"CHIMERA_DEFAULT_PROVIDER": "google"}``); values may be
strings or typed Python values. Defaults live only in the dataclasses below. The parser
collects every problem; ``checks.py`` reports them and ``apps.py`` refuses start-up on errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from observability.parsing import Invalid, Problem, Reader, Running, Variable, as_http_url, as_number, must, shown
from observability.parsing.values import RATE
from observability.redaction import mask_url

SETTINGS_NAME = "CHIMERA_SERVICE"
LOCAL = "local"
# Remote providers speaking the OpenAI-compatible chat-completions API: public base URL, model.
REMOTE_DEFAULTS: Mapping[str, tuple[str, str]] = {
    "google": ("https://generativelanguage.googleapis.com/v1beta/openai", "gemini-2.5-flash"),
    "openai": ("https://api.openai.com/v1", "gpt-4o-mini"),
}
PROVIDER_NAMES = (LOCAL, *REMOTE_DEFAULTS)
DISABLED_RATES = frozenset({"off", "none", "0"})
OFF = "off"
MAX_TIMEOUT = 600.0


@dataclass(frozen=True)
class RemoteProviderConfig:
    """Where and how to call one remote provider; the API key never appears in its repr."""

    name: str
    url: str
    model: str
    timeout: float = 20.0
    api_key: str = field(default="", repr=False, compare=False)

    @property
    def configured(self) -> bool:
        """Whether the provider can be called: it has an API key."""
        return bool(self.api_key)

    @property
    def key_variable(self) -> str:
        """The variable that holds this provider's API key."""
        return variable(self.name, "API_KEY")


def default_remotes() -> dict[str, RemoteProviderConfig]:
    """Every remote provider with its public URL and model, none configured."""
    return {name: RemoteProviderConfig(name, url, model) for name, (url, model) in REMOTE_DEFAULTS.items()}


@dataclass(frozen=True)
class ServiceConfig:
    """The service layer's settings: providers, throttling and the prompt pipeline."""

    default_provider: str = LOCAL
    throttle_rate: str | None = "60/min"
    prompt_template: str = "{prompt}"
    prompt_max_chars: int = 4000
    remotes: Mapping[str, RemoteProviderConfig] = field(default_factory=default_remotes)


def variable(provider: str, suffix: str) -> str:
    """``CHIMERA_PROVIDER_GOOGLE_URL`` for ("google", "URL")."""
    return f"CHIMERA_PROVIDER_{provider.upper()}_{suffix}"


def provider_name(value: object, name: str) -> str:
    text = str(value).strip().lower()
    if text in PROVIDER_NAMES:
        return text
    raise Invalid(must(name, f"one of {', '.join(PROVIDER_NAMES)}", value))


def rate(value: object, name: str) -> str:
    text = str(value).strip()
    if text.lower() in DISABLED_RATES:
        return OFF
    if (match := RATE.fullmatch(text)) is None:
        raise Invalid(must(name, "a rate such as 60/min", value))
    return f"{int(match[1])}/{match[2].lower()}"  # what DRF's throttles read


def template(value: object, name: str) -> str:
    if isinstance(value, str) and value.count("{prompt}") == 1:
        return value
    raise Invalid(must(name, "text containing {prompt} exactly once", value))


def max_chars(value: object, name: str) -> int:
    chars = as_number(value, int)
    if chars is not None and chars >= 1:
        return chars
    raise Invalid(must(name, "a whole number of at least 1", value))


VARIABLES = (
    Variable("CHIMERA_DEFAULT_PROVIDER", "default_provider", provider_name, "chimera.E001",
             "Leave it unset for the offline local provider."),
    Variable("CHIMERA_THROTTLE_RATE", "throttle_rate", rate, "chimera.E002",
             "Write requests/period with period s, min, hour or day; off turns throttling off."),
    Variable("CHIMERA_PROMPT_TEMPLATE", "prompt_template", template, "chimera.E003",
             "For example: Answer briefly: {prompt}"),
    Variable("CHIMERA_PROMPT_MAX_CHARS", "prompt_max_chars", max_chars, "chimera.E004"),
)


def parse_service(raw: Mapping[str, object], environ: Mapping[str, str] | None = None,
                  ) -> tuple[ServiceConfig, list[Problem]]:
    """Validate the ``CHIMERA_*`` entries of `raw` (settings.py forwards what the environment sets)."""
    r = Reader(raw, {} if environ is None else environ, SETTINGS_NAME)
    for variable in VARIABLES:
        r.read(variable)
    values = dict(r.values)
    if values.get("throttle_rate") == OFF:
        values["throttle_rate"] = None
    values["remotes"] = {name: _parse_remote(name, raw, r.problems) for name in REMOTE_DEFAULTS}
    return ServiceConfig(**values), r.problems


def _parse_remote(name: str, raw: Mapping[str, object], problems: list[Problem]) -> RemoteProviderConfig:
    default = default_remotes()[name]
    values: dict[str, object] = {"api_key": str(raw.get(variable(name, "API_KEY")) or "").strip()}
    if raw.get(variable(name, "URL")) is not None:
        _parse_url(name, raw[variable(name, "URL")], default.url, values, problems)
    if raw.get(variable(name, "MODEL")):
        values["model"] = str(raw[variable(name, "MODEL")]).strip()
    if raw.get(variable(name, "TIMEOUT")) is not None:
        _parse_timeout(name, raw[variable(name, "TIMEOUT")], values, problems)
    return RemoteProviderConfig(name, **{"url": default.url, "model": default.model, **values})


def _parse_url(name: str, url: object, example: str, values: dict, problems: list[Problem]) -> None:
    if as_http_url(url) is not None:
        values["url"] = url.strip().rstrip("/")
        return
    problems.append(Problem(
        "chimera.E010", variable(name, "URL"),
        f"{variable(name, 'URL')} must be an http:// or https:// URL, got {shown(mask_url(str(url)))}.",
        f"The provider's OpenAI-compatible base URL, for example {example}",
    ))


def _parse_timeout(name: str, value: object, values: dict, problems: list[Problem]) -> None:
    seconds = as_number(value)
    if seconds is not None and 0 < seconds <= MAX_TIMEOUT:
        values["timeout"] = seconds
        return
    problems.append(Problem(
        "chimera.E011", variable(name, "TIMEOUT"),
        f"{variable(name, 'TIMEOUT')} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
        f"got {shown(value)}.",
        "Keep it below GUNICORN_TIMEOUT, so a slow provider is a 504, not a killed worker.",
    ))


RUNNING = Running(SETTINGS_NAME, parse_service)


def get_service_config() -> ServiceConfig:
    """The running configuration (parsed once; dropped when settings change)."""
    return RUNNING.config()


def provider_api_keys() -> list[str]:
    """The remote providers' API keys, for observability.redaction to mask wherever they appear."""
    return [remote.api_key for remote in get_service_config().remotes.values() if remote.api_key]


def service_problems() -> list[Problem]:
    """Problems found in the running configuration."""
    return RUNNING.problems()
