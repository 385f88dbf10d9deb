"""POST /api/v1/generate through Django's test client: every status the endpoint can give."""

from __future__ import annotations

import json
import logging

import pytest

from tests.chimera.conftest import API_KEY, GOOGLE_KEY, OPENAI_KEY
from tests.support.processes import ROOT

URL = "/api/v1/generate"


def post(client, body, key: str | None = API_KEY, **headers):
    if key is not None:
        headers["HTTP_X_API_KEY"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **headers)


def error(response) -> tuple[int, str]:
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "request_id"}
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return response.status_code, body["error"]["code"]


def test_local_provider_answers(client, configure):
    response = post(client, {"prompt": "  hello \r\n world  "}, HTTP_X_REQUEST_ID="gen-1")
    assert response.status_code == 200
    assert response.json() == {
        "text": response.json()["text"], "provider": "local", "model": "local-echo-1", "request_id": "gen-1",
    }
    assert response.json()["text"].endswith(": hello\nworld")


@pytest.mark.parametrize("configured", [False, True])
def test_request_id_comes_back_whatever_the_provider_configuration(client, configure, remote, configured):
    # The case: provider google, with and without a configuration for it.
    if not configured:
        configure()
    response = post(client, {"prompt": "test", "provider": "google"}, HTTP_X_REQUEST_ID="trace-test-456")
    assert response.status_code == (200 if configured else 503)
    assert response["X-Request-ID"] == "trace-test-456"
    unauthorized = post(client, {"prompt": "test", "provider": "google"}, key=None,
                        HTTP_X_REQUEST_ID="trace-test-456")
    assert unauthorized.status_code == 401
    assert unauthorized["X-Request-ID"] == "trace-test-456"
    assert unauthorized.json()["error"]["request_id"] == "trace-test-456"


@pytest.mark.parametrize(("key", "code"), [
    (None, "not_authenticated"),
    ("", "not_authenticated"),  # an empty key is no key, on every endpoint
    ("wrong-key", "authentication_failed"),
    (API_KEY + "x", "authentication_failed"),
    (API_KEY[:-1], "authentication_failed"),
])
def test_missing_or_wrong_key_is_401(client, configure, key, code):
    response = post(client, {"prompt": "hi"}, key=key)
    assert error(response) == (401, code)
    assert response["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'


def test_no_configured_key_means_nobody_gets_in(client, use_api_keys):
    use_api_keys("", "  ")
    assert error(post(client, {"prompt": "hi"}, key="  ")) == (401, "not_authenticated")
    assert error(post(client, {"prompt": "hi"}, key="anything")) == (401, "authentication_failed")


def test_any_of_several_keys_is_accepted(client, configure, use_api_keys):
    use_api_keys("first-key-0123456789", API_KEY)
    assert post(client, {"prompt": "hi"}).status_code == 200
    assert post(client, {"prompt": "hi"}, key=None, HTTP_AUTHORIZATION=f"Bearer {API_KEY}").status_code == 200


@pytest.mark.parametrize(("body", "code"), [
    ({}, "invalid"),
    ({"prompt": 42}, "invalid"),
    ({"prompt": "hi", "provider": 7}, "invalid"),
    ("not json", "parse_error"),
    ("[1, 2]", "invalid"),
])
def test_invalid_body_is_400(client, configure, body, code):
    assert error(post(client, body)) == (400, code)


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_body_is_400_parse_error(client, configure, depth):
    body = '{"prompt": "x", "a": ' + "[" * depth + "]" * depth + "}"
    response = post(client, body)
    assert error(response) == (400, "parse_error")
    assert response.json()["error"]["message"] == "JSON parse error - the document is nested too deeply."


def test_body_over_the_upload_limit_is_413(client, configure, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, {"prompt": "x" * 2000})
    assert error(response) == (413, "request_too_large")
    assert response.json()["error"]["message"] == "The request body is larger than the server accepts."
    assert post(client, {"prompt": "x" * 900}).status_code == 200


def test_an_unknown_format_has_its_own_code(client, configure):
    response = client.post(URL + "?format=xml", json.dumps({"prompt": "hi"}), content_type="application/json",
                           HTTP_X_API_KEY=API_KEY)
    assert error(response) == (406, "unsupported_format")
    assert "format=json" in response.json()["error"]["message"]
    assert client.post(URL + "?format=json", json.dumps({"prompt": "hi"}), content_type="application/json",
                       HTTP_X_API_KEY=API_KEY).status_code == 200


def test_a_lone_surrogate_is_refused_as_the_docs_say(client, configure):
    response = post(client, '{"prompt": "a\\ud800b"}')
    assert error(response) == (400, "invalid")
    assert response.json()["error"]["details"] == {"prompt": ["Surrogate characters are not allowed: U+D800."]}
    service_doc = (ROOT / "docs" / "service.md").read_text()
    assert "lone surrogate (`\\ud800`) is refused" in service_doc
    assert "lone surrogates and" not in service_doc


def test_invalid_body_lists_the_fields(client, configure):
    assert post(client, {}).json()["error"]["details"] == {"prompt": ["This field is required."]}


def test_unknown_provider_is_400(client, configure):
    response = post(client, {"prompt": "hi", "provider": "anthropic"})
    assert error(response) == (400, "unknown_provider")
    assert "known providers: local, google, openai" in response.json()["error"]["message"]


@pytest.mark.parametrize(("prompt", "code"), [(" \t\x00 ", "prompt_empty"), ("x" * 11, "prompt_too_long")])
def test_prompt_limits_are_400(client, configure, prompt, code):
    configure(CHIMERA_PROMPT_MAX_CHARS=10)
    assert error(post(client, {"prompt": prompt})) == (400, code)


def test_unconfigured_provider_is_503(client, configure):
    response = post(client, {"prompt": "hi", "provider": "openai"})
    assert error(response) == (503, "provider_not_configured")
    assert "CHIMERA_PROVIDER_OPENAI_API_KEY is not set" in response.json()["error"]["message"]


def test_remote_provider_answers_through_the_template(client, remote, chat_server):
    remote(CHIMERA_PROMPT_TEMPLATE="Be brief: {prompt}", CHIMERA_PROVIDER_GOOGLE_MODEL="gemini-test")
    response = post(client, {"prompt": " why? ", "provider": "google"}, HTTP_X_REQUEST_ID="remote-1")
    assert response.status_code == 200
    assert response.json() == {"text": "echo: Be brief: why?", "provider": "google", "model": "gemini-test",
                               "request_id": "remote-1"}
    received = chat_server.last()
    assert received.headers["x-request-id"] == "remote-1"
    assert received.body["messages"] == [{"role": "user", "content": "Be brief: why?"}]


def test_default_provider_is_used_when_the_request_names_none(client, remote, chat_server):
    remote(CHIMERA_DEFAULT_PROVIDER="openai")
    response = post(client, {"prompt": "hi"})
    assert response.json()["provider"] == "openai"
    assert chat_server.last().headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_provider_timeout_is_504(client, remote):
    remote("slow", timeout=0.3)
    response = post(client, {"prompt": "hi", "provider": "google"})
    assert error(response) == (504, "provider_timeout")


@pytest.mark.parametrize("mode", ["error", "garbage", "huge", "nested"])
def test_provider_error_is_502(client, remote, mode):
    remote(mode)
    assert error(post(client, {"prompt": "hi", "provider": "google"})) == (502, "provider_error")


def test_secrets_never_appear_in_responses_or_logs(client, remote, caplog):
    caplog.set_level(logging.DEBUG)
    remote("error")
    responses = [post(client, {"prompt": "hi", "provider": name}) for name in ("google", "openai")]
    remote("ok")
    responses.append(post(client, {"prompt": "hi", "provider": "google"}))
    responses.append(post(client, {"prompt": "hi"}, key="wrong"))
    for response in responses:
        for secret in (GOOGLE_KEY, OPENAI_KEY, API_KEY):
            assert secret not in response.content.decode()
            assert secret not in str(response.headers)
    for secret in (GOOGLE_KEY, OPENAI_KEY, API_KEY):
        assert secret not in caplog.text


def test_throttled_is_429_per_key(client, configure, use_api_keys):
    key = "throttle-test-key-" + "x" * 16
    use_api_keys(key, API_KEY)
    configure(CHIMERA_THROTTLE_RATE="2/min")
    assert [post(client, {"prompt": "hi"}, key=key).status_code for _ in range(2)] == [200, 200]
    throttled = post(client, {"prompt": "hi"}, key=key)
    assert error(throttled) == (429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    other_key = post(client, {"prompt": "hi"})  # another key has its own budget
    assert other_key.status_code == 200


def test_only_post_is_allowed(client, configure):
    response = client.get(URL, HTTP_X_API_KEY=API_KEY)
    assert error(response) == (405, "method_not_allowed")
