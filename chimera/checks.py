"""Django system checks of the service layer, built from conf's Problems.

IDs are stable and never reused: 001-009 general settings, 010-019 providers, 020-029 keys,
030-039 background tasks. ``check_throttle_on`` runs under ``check --deploy`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from chimera.conf import get_service_config, service_problems, variable

MIN_KEY_LENGTH = 16


def configured_keys() -> list[str]:
    """The API keys of CHIMERA_API_KEYS, read live; empty entries never count as a key."""
    return [key.strip() for key in getattr(settings, "CHIMERA_API_KEYS", []) if key and key.strip()]


def check_service_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """CHIMERA_* values that cannot be used."""
    return [problem.check_message() for problem in service_problems()]


def check_default_provider(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The default provider can be called: otherwise requests that name none get 503."""
    config = get_service_config()
    remote = config.remotes.get(config.default_provider)
    if remote is None or remote.configured:
        return []
    return [checks.Warning(
        f"CHIMERA_DEFAULT_PROVIDER is {remote.name}, which has no API key: requests that name no "
        "provider get 503 and llm_service is reported down.",
        hint=f"Set {remote.key_variable}, or another CHIMERA_DEFAULT_PROVIDER.", id="chimera.W020",
    )]


def check_api_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """At least one API key, none of them short enough to guess."""
    keys = configured_keys()
    if not keys:
        return [checks.Warning("CHIMERA_API_KEYS is empty: POST /api/v1/generate refuses every request.",
                               hint="Set CHIMERA_API_KEYS to one or more random keys, comma-separated.",
                               id="chimera.W021")]
    if any(len(key) < MIN_KEY_LENGTH for key in keys):
        return [checks.Warning(f"CHIMERA_API_KEYS holds a key shorter than {MIN_KEY_LENGTH} characters.",
                               hint="Use random keys, for example from: python -c \"import secrets; "
                                    "print(secrets.token_urlsafe(32))\"", id="chimera.W022")]
    return []


def check_task_time_limit(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With a broker, a background generation may wait for its provider's whole timeout before its time limit."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        return []  # tasks run in the request: no time limit applies
    limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
    slow = [remote for remote in get_service_config().remotes.values() if remote.configured and remote.timeout >= limit]
    if not slow:
        return []
    names = ", ".join(f"{variable(remote.name, 'TIMEOUT')}={remote.timeout:g}" for remote in slow)
    return [checks.Warning(
        f"CELERY_TASK_TIME_LIMIT={settings.CELERY_TASK_TIME_LIMIT:g} does not leave the task more than its "
        f"provider's timeout ({names}): a slow provider's background generation fails with task_time_limit "
        "instead of provider_timeout.",
        hint="Raise CELERY_TASK_TIME_LIMIT above the provider timeouts (by a few seconds), or lower those.",
        id="chimera.W030",
    )]


def check_throttle_on(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A production service keeps its per-key request throttle (deploy only: off suits load tests)."""
    if get_service_config().throttle_rate is not None:
        return []
    return [checks.Warning(
        "CHIMERA_THROTTLE_RATE is off: one API key can send POST /api/v1/generate as fast as it likes.",
        hint="Leave CHIMERA_THROTTLE_RATE unset (60/min) or set a rate such as 60/min.", id="chimera.W005",
    )]
