"""Parsing the service layer's variables: defaults, typed values, one test per problem ID."""

from __future__ import annotations

import pytest

from chimera.conf import (
    REMOTE_DEFAULTS,
    RemoteProviderConfig,
    ServiceConfig,
    get_service_config,
    parse_service,
    service_problems,
)


def test_defaults_need_no_variable():
    config, problems = parse_service({})
    assert problems == []
    assert config == ServiceConfig()
    assert (config.default_provider, config.throttle_rate, config.prompt_max_chars) == ("local", "60/min", 4000)
    google = config.remotes["google"]
    assert (google.url, google.model, google.timeout, google.configured) == (*REMOTE_DEFAULTS["google"], 20.0, False)
    assert config.remotes["openai"].url == "https://api.openai.com/v1"


def test_strings_from_the_environment():
    config, problems = parse_service({
        "CHIMERA_DEFAULT_PROVIDER": " Google ", "CHIMERA_THROTTLE_RATE": "10 / minutes",
        "CHIMERA_PROMPT_TEMPLATE": "Q: {prompt}", "CHIMERA_PROMPT_MAX_CHARS": "100",
        "CHIMERA_PROVIDER_GOOGLE_URL": "http://127.0.0.1:9/v1/", "CHIMERA_PROVIDER_GOOGLE_API_KEY": " k ",
        "CHIMERA_PROVIDER_GOOGLE_MODEL": "gemini-x", "CHIMERA_PROVIDER_GOOGLE_TIMEOUT": "2.5",
    })
    assert problems == []
    assert (config.default_provider, config.throttle_rate, config.prompt_template, config.prompt_max_chars) == (
        "google", "10/minute", "Q: {prompt}", 100)
    assert config.remotes["google"] == RemoteProviderConfig("google", "http://127.0.0.1:9/v1", "gemini-x", 2.5)
    assert config.remotes["google"].api_key == "k"


def test_typed_values_from_python():
    config, problems = parse_service({"CHIMERA_PROMPT_MAX_CHARS": 50, "CHIMERA_PROVIDER_OPENAI_TIMEOUT": 3})
    assert problems == []
    assert (config.prompt_max_chars, config.remotes["openai"].timeout) == (50, 3.0)


@pytest.mark.parametrize("value", ["off", "none", "0", "OFF"])
def test_throttling_can_be_turned_off(value):
    assert parse_service({"CHIMERA_THROTTLE_RATE": value})[0].throttle_rate is None


@pytest.mark.parametrize(("variable", "value", "problem_id", "shown"), [
    ("CHIMERA_DEFAULT_PROVIDER", "anthropic", "chimera.E001", "'anthropic'"),
    ("CHIMERA_THROTTLE_RATE", "fast", "chimera.E002", "'fast'"),
    ("CHIMERA_THROTTLE_RATE", "10/fortnight", "chimera.E002", "'10/fortnight'"),
    ("CHIMERA_PROMPT_TEMPLATE", "no placeholder", "chimera.E003", "'no placeholder'"),
    ("CHIMERA_PROMPT_TEMPLATE", "{prompt}{prompt}", "chimera.E003", "'{prompt}{prompt}'"),
    ("CHIMERA_PROMPT_MAX_CHARS", "0", "chimera.E004", "'0'"),
    ("CHIMERA_PROMPT_MAX_CHARS", True, "chimera.E004", "True"),
    ("CHIMERA_PROVIDER_GOOGLE_URL", "ftp://example.com", "chimera.E010", "'ftp://example.com'"),
    ("CHIMERA_PROVIDER_OPENAI_URL", "not a url", "chimera.E010", "'not a url'"),
    ("CHIMERA_PROVIDER_GOOGLE_TIMEOUT", "nan", "chimera.E011", "'nan'"),
    ("CHIMERA_PROVIDER_OPENAI_TIMEOUT", "-1", "chimera.E011", "'-1'"),
    ("CHIMERA_PROVIDER_OPENAI_TIMEOUT", "601", "chimera.E011", "'601'"),
])
def test_each_problem_names_the_variable_and_the_value(variable, value, problem_id, shown):
    config, problems = parse_service({variable: value})
    assert [(p.id, p.variable) for p in problems] == [(problem_id, variable)]
    assert problems[0].message.startswith(variable)
    assert shown in problems[0].message
    assert config == ServiceConfig()  # the invalid value keeps its default


def test_url_problem_never_shows_credentials_or_query_values():
    url = "gopher://user:hunter2@example.com/v1?key=sekrit"
    _, problems = parse_service({"CHIMERA_PROVIDER_GOOGLE_URL": url})
    assert "hunter2" not in problems[0].message and "sekrit" not in problems[0].message


def test_every_problem_is_collected():
    _, problems = parse_service({"CHIMERA_DEFAULT_PROVIDER": "x", "CHIMERA_THROTTLE_RATE": "x",
                                 "CHIMERA_PROVIDER_GOOGLE_TIMEOUT": "x"})
    assert [p.id for p in problems] == ["chimera.E001", "chimera.E002", "chimera.E011"]


def test_api_key_is_never_in_a_repr():
    config, _ = parse_service({"CHIMERA_PROVIDER_GOOGLE_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(config)
    assert "sk-very-secret" not in repr(config.remotes["google"])


def test_running_configuration_is_dropped_when_settings_change(settings):
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "openai"}
    assert get_service_config().default_provider == "openai"
    settings.CHIMERA_SERVICE = {"CHIMERA_DEFAULT_PROVIDER": "nope"}
    assert get_service_config().default_provider == "local"
    assert [p.id for p in service_problems()] == ["chimera.E001"]
    settings.CHIMERA_SERVICE = "not a dict"
    assert get_service_config() == ServiceConfig()


def test_provider_keys_are_cleansed_from_the_debug_page(settings):
    from django.views.debug import SafeExceptionReporterFilter

    settings.CHIMERA_SERVICE = {"CHIMERA_PROVIDER_GOOGLE_API_KEY": "sk-very-secret", "CHIMERA_DEFAULT_PROVIDER": "x"}
    shown = SafeExceptionReporterFilter().get_safe_settings()["CHIMERA_SERVICE"]
    assert shown["CHIMERA_PROVIDER_GOOGLE_API_KEY"] != "sk-very-secret"
    assert shown["CHIMERA_DEFAULT_PROVIDER"] == "x"
