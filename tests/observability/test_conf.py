"""Request-ID configuration: defaults, every Problem, typed values, cache invalidation."""

from __future__ import annotations

import pytest

from observability.conf import (
    RequestIDConfig,
    get_request_id_config,
    parse_request_id,
    request_id_problems,
)
from observability.request_id import generate_request_id


def problem_ids(raw) -> list[tuple[str, str]]:
    return [(p.id, p.variable) for p in parse_request_id(raw)[1]]


def test_defaults():
    config, problems = parse_request_id({})
    assert problems == []
    assert config == RequestIDConfig(header="X-Request-ID", trust_incoming=True)
    assert config.generator is generate_request_id
    assert config.meta_key == "HTTP_X_REQUEST_ID"
    assert config.json_error_prefixes == ("/api/",)


def test_strings_and_typed_values_are_both_accepted():
    config, problems = parse_request_id({
        "REQUEST_ID_HEADER": " X-Correlation-ID ", "REQUEST_ID_TRUST_INCOMING": False,
        "REQUEST_ID_GENERATOR": "tests.observability.test_conf.prefixed_id", "JSON_ERROR_PREFIXES": ["/api/", "/v2/"],
    })
    assert problems == []
    assert (config.header, config.meta_key) == ("X-Correlation-ID", "HTTP_X_CORRELATION_ID")
    assert config.trust_incoming is False
    assert config.generator_path == "tests.observability.test_conf.prefixed_id"
    assert config.generator() == "web-1"
    assert config.json_error_prefixes == ("/api/", "/v2/")
    assert parse_request_id({"REQUEST_ID_TRUST_INCOMING": "off"})[0].trust_incoming is False


@pytest.mark.parametrize("blank", ["", None])
def test_a_blank_entry_is_unset_like_every_setting(blank):
    """One rule for every app: None or "" in the settings dict leaves the environment and the default."""
    assert parse_request_id({"REQUEST_ID_HEADER": blank, "REQUEST_ID_TRUST_INCOMING": blank}, {}) == (
        RequestIDConfig(), [])


@pytest.mark.parametrize("header", ["X Request ID", " ", "X-Request-ID:", "Ünïcode", "X-Req\nuest", 42])
def test_001_bad_header_name(header):
    problems = parse_request_id({"REQUEST_ID_HEADER": header})[1]
    assert [(p.id, p.variable) for p in problems] == [("observability.E001", "REQUEST_ID_HEADER")]
    assert problems[0].message.startswith("REQUEST_ID_HEADER is not a valid HTTP header name:")
    assert repr(header)[:20] in problems[0].message
    assert problems[0].hint


@pytest.mark.parametrize("value", ["maybe", "2", 3, []])
def test_002_trust_incoming_not_a_boolean(value):
    problems = parse_request_id({"REQUEST_ID_TRUST_INCOMING": value})[1]
    assert [(p.id, p.variable) for p in problems] == [("observability.E002", "REQUEST_ID_TRUST_INCOMING")]
    assert f"got {value!r}" in problems[0].message


@pytest.mark.parametrize(("path", "problem_id", "reason"), [
    ("no.such.module.make_id", "observability.E003", "cannot be imported"),
    ("uuid.no_such_function", "observability.E003", "cannot be imported"),
    ("notdotted", "observability.E003", "cannot be imported"),
    ("uuid.NAMESPACE_DNS", "observability.E007", "is not callable"),
])
def test_003_007_generator_unusable(path, problem_id, reason):
    problems = parse_request_id({"REQUEST_ID_GENERATOR": path})[1]
    assert [(p.id, p.variable) for p in problems] == [(problem_id, "REQUEST_ID_GENERATOR")]
    assert problems[0].message.startswith(f"REQUEST_ID_GENERATOR '{path}' {reason}")


@pytest.mark.parametrize("path", [
    "builtins.object", "os.getpid", "uuid.uuid1", "tests.observability.test_conf.failing_generator",
])
def test_005_generator_makes_invalid_ids(path):
    problems = parse_request_id({"REQUEST_ID_GENERATOR": path})[1]
    assert [(p.id, p.variable) for p in problems] == [("observability.E005", "REQUEST_ID_GENERATOR")]
    assert parse_request_id({"REQUEST_ID_GENERATOR": path})[0].generator is generate_request_id


def prefixed_id() -> str:
    return "web-1"


def failing_generator() -> str:
    raise RuntimeError("no IDs today")


@pytest.mark.parametrize("value", [["api/"], 5, [3]])
def test_004_json_error_prefixes(value):
    assert problem_ids({"JSON_ERROR_PREFIXES": value}) == [("observability.E004", "JSON_ERROR_PREFIXES")]


def test_all_problems_are_reported_at_once():
    raw = {"REQUEST_ID_HEADER": "bad header", "REQUEST_ID_TRUST_INCOMING": "perhaps", "REQUEST_ID_GENERATOR": "x.y"}
    assert [p.id for p in parse_request_id(raw)[1]] == ["observability.E001", "observability.E002",
                                                        "observability.E003"]


def test_huge_values_are_shortened_in_messages():
    message = parse_request_id({"REQUEST_ID_HEADER": "x y" * 10_000})[1][0].message
    assert len(message) < 200


def test_settings_changes_drop_the_cache(settings):
    assert get_request_id_config().header == "X-Request-ID"
    settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "X-Trace-Me"}
    assert get_request_id_config().header == "X-Trace-Me"
    settings.OBSERVABILITY = {"REQUEST_ID_HEADER": "bad header"}
    assert [p.id for p in request_id_problems()] == ["observability.E001"]
    assert get_request_id_config().header == "X-Request-ID"  # an invalid value keeps the default


def test_a_non_mapping_setting_counts_as_empty(settings):
    settings.OBSERVABILITY = ["not", "a", "dict"]
    assert get_request_id_config() == RequestIDConfig()
