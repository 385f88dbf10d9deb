"""Settings of healthdash: defaults, typed and string values, one test per problem ID."""

from __future__ import annotations

import pytest

from healthdash.conf import DashboardSettings, get_settings, parse_settings


def test_defaults():
    config, problems = parse_settings({})
    assert problems == []
    assert config == DashboardSettings()
    assert (config.cache_seconds, config.deadline, config.anonymous, config.max_workers) == (5.0, 3.0, "statuses", 32)


def test_strings_from_the_environment_and_typed_values_alike():
    from_env, _ = parse_settings({"HEALTH_CACHE_SECONDS": "2.5", "HEALTH_DEADLINE": "1", "HEALTH_ANONYMOUS": "Overall",
                                  "HEALTH_MAX_WORKERS": " 8 "})
    typed, _ = parse_settings({"HEALTH_CACHE_SECONDS": 2.5, "HEALTH_DEADLINE": 1, "HEALTH_ANONYMOUS": "overall",
                               "HEALTH_MAX_WORKERS": 8})
    assert from_env == typed
    assert (typed.cache_seconds, typed.deadline, typed.anonymous, typed.max_workers) == (2.5, 1.0, "overall", 8)


@pytest.mark.parametrize(("raw", "seconds"), [(None, 5.0), ("0", 0.0), ("600", 600.0), (2.5, 2.5)])
def test_drain_seconds_from_0_to_600(raw, seconds):
    config, problems = parse_settings({} if raw is None else {"HEALTH_DRAIN_SECONDS": raw})
    assert (config.drain_seconds, problems) == (seconds, [])


def test_empty_values_mean_default():
    config, problems = parse_settings({"HEALTH_CACHE_SECONDS": "", "HEALTH_ANONYMOUS": None})
    assert (config, problems) == (DashboardSettings(), [])


@pytest.mark.parametrize(("raw", "problem_id", "variable", "shown"), [
    ({"HEALTH_CACHE_SECONDS": "soon"}, "healthdash.E001", "HEALTH_CACHE_SECONDS", "'soon'"),
    ({"HEALTH_CACHE_SECONDS": -1}, "healthdash.E001", "HEALTH_CACHE_SECONDS", "-1"),
    ({"HEALTH_DEADLINE": "0"}, "healthdash.E002", "HEALTH_DEADLINE", "'0'"),
    ({"HEALTH_DEADLINE": "nan"}, "healthdash.E002", "HEALTH_DEADLINE", "'nan'"),
    ({"HEALTH_ANONYMOUS": "everyone"}, "healthdash.E003", "HEALTH_ANONYMOUS", "'everyone'"),
    ({"HEALTH_MAX_WORKERS": "0"}, "healthdash.E004", "HEALTH_MAX_WORKERS", "'0'"),
    ({"HEALTH_MAX_WORKERS": 2.5}, "healthdash.E004", "HEALTH_MAX_WORKERS", "2.5"),
    ({"SERVICES": ["a.b"]}, "healthdash.E006", "SERVICES", "list"),
    ({"SERVICES": {"queue": {"check": "a.b", "retries": 3}}}, "healthdash.E011", "SERVICES['queue']", ""),
    ({"HISTORY_SIZE": "many"}, "healthdash.E008", "HISTORY_SIZE", "'many'"),
    ({"HEALTH_DRAIN_SECONDS": "601"}, "healthdash.E020", "HEALTH_DRAIN_SECONDS", "'601'"),
    ({"HEALTH_DRAIN_SECONDS": -1}, "healthdash.E020", "HEALTH_DRAIN_SECONDS", "-1"),
    ({"HEALTH_DRAIN_SECONDS": "a while"}, "healthdash.E020", "HEALTH_DRAIN_SECONDS", "'a while'"),
    ({"CACHE_SECONDS": 5}, "healthdash.E009", "CACHE_SECONDS", ""),
    ({"API_KEYS": ["k"]}, "healthdash.E009", "API_KEYS", ""),  # observability's now
])
def test_each_problem_names_its_variable_and_value(raw, problem_id, variable, shown):
    config, problems = parse_settings(raw)
    assert [(p.id, p.variable) for p in problems] == [(problem_id, variable)]
    assert problems[0].message.startswith(variable) and shown in problems[0].message
    assert problems[0].hint
    assert config == DashboardSettings(), "an invalid value keeps the default"


def test_setting_that_is_not_a_dict():
    _, problems = parse_settings(["HEALTH_DEADLINE"])
    assert [(p.id, p.variable) for p in problems] == [("healthdash.E010", "HEALTHDASH")]


def test_every_problem_is_reported_at_once():
    _, problems = parse_settings({"HEALTH_CACHE_SECONDS": "x", "HEALTH_DEADLINE": "y", "HEALTH_ANONYMOUS": "z"})
    assert [p.id for p in problems] == ["healthdash.E001", "healthdash.E002", "healthdash.E003"]


def test_cached_settings_are_dropped_when_the_setting_changes(settings):
    assert get_settings().anonymous == "statuses"
    settings.HEALTHDASH = {"HEALTH_ANONYMOUS": "deny"}
    assert get_settings().anonymous == "deny"
    settings.HEALTHDASH = {}
    assert get_settings().anonymous == "statuses"


def test_project_settings_forward_only_what_the_operator_set():
    import os

    from django.conf import settings

    variables = ("HEALTH_CACHE_SECONDS", "HEALTH_DEADLINE", "HEALTH_ANONYMOUS", "HEALTH_MAX_WORKERS")
    assert set(settings.HEALTHDASH) == {name for name in variables if os.environ.get(name)}


def test_the_projects_defaults_come_after_the_environment(settings):
    settings.HEALTHDASH_DEFAULTS = {"HEALTH_CACHE_SECONDS": "2", "HEALTH_DEADLINE": 4}
    assert (get_settings().cache_seconds, get_settings().deadline) == (2.0, 4.0)  # read again once changed
    config, problems = parse_settings({"HEALTH_DEADLINE": "1"}, {"HEALTH_CACHE_SECONDS": "7"})
    assert (config.cache_seconds, config.deadline, problems) == (7.0, 1.0, [])


def test_a_bad_webhook_url_is_refused_without_showing_it():
    _, [problem] = parse_settings({"HEALTH_WEBHOOK_URL": "hooks.example/services/T0/B0/the-token-9Qz"})
    assert (problem.id, problem.variable) == ("healthdash.E041", "HEALTH_WEBHOOK_URL")
    assert "the-token-9Qz" not in problem.message + problem.hint


def test_history_and_notification_defaults():
    config, problems = parse_settings({})
    assert problems == []
    assert (config.history_days, config.webhook_url, config.webhook_format, config.notify_after) == (14, "", "json", 3)
