"""Request IDs under real gunicorn: every response kind, raw hostile headers, JSON and text logs."""

from __future__ import annotations

import http.client
import json
import socket
import time
import uuid

import pytest

from observability.request_id import is_valid_request_id
from tests.observability.test_middleware import RESPONSE_KINDS
from tests.observability.test_request_id import HOSTILE
from tests.support.processes import Gunicorn, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Without the test client's CSRF exemption, CsrfViewMiddleware answers an unsafe method first.
STATUS_UNDER_GUNICORN: dict[tuple[str, str], int] = {}


def start(tmp_path_factory, db_url: str, log_format: str) -> Gunicorn:
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=db_url, LOG_FORMAT=log_format,
                      WEB_CONCURRENCY="2", REDACTION_SAFE_QUERY_KEYS="page")
    return Gunicorn(env=env, log_dir=tmp_path_factory.mktemp(f"gunicorn-{log_format}")).start()


@pytest.fixture(scope="module")
def json_server(tmp_path_factory, migrated_db_url):
    server = start(tmp_path_factory, migrated_db_url, "json")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def text_server(tmp_path_factory, migrated_db_url):
    server = start(tmp_path_factory, migrated_db_url, "text")
    yield server
    server.stop()


def request(server: Gunicorn, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """Status and the raw header list (repeated names kept) of one request."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method.upper(), path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        connection.close()


def request_ids(headers) -> list[str]:
    return [value for name, value in headers if name.lower() == "x-request-id"]


def raw_request(server: Gunicorn, header_value: bytes) -> bytes:
    """Send a request whose X-Request-ID is exactly `header_value`, bypassing client checks."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/test/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Request-ID: "
                     + header_value + b"\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def log_lines(server: Gunicorn, wanted: str, count: int = 1, timeout: float = 10) -> list[str]:
    """stdout lines once `count` lines containing `wanted` have been written."""
    return server.wait_for_stdout(wanted, count, timeout).splitlines()


@pytest.mark.parametrize(("method", "path", "status"), RESPONSE_KINDS)
def test_every_response_kind_carries_exactly_one_id(json_server, method, path, status):
    body = b'{"name": "far too long a name"}' if method == "post" else None
    headers = {"X-Request-ID": "trace-test-456", "Content-Type": "application/json"}
    got_status, got_headers = request(json_server, method, path, headers, body)
    assert got_status == STATUS_UNDER_GUNICORN.get((method, path), status)
    assert request_ids(got_headers) == ["trace-test-456"]
    got_status, got_headers = request(json_server, method, path, {"Content-Type": "application/json"}, body)
    assert uuid.UUID(request_ids(got_headers)[0]).version == 4


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_replaced_and_never_logged(json_server, value):
    raw = value.encode("utf-8")
    if b"\r" in raw or b"\n" in raw:
        raw = raw.replace(b"\r\n", b" ").replace(b"\n", b" ")  # keep the request itself well-formed
    answer = raw_request(json_server, raw)
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 500 " not in status_line
    if status_line.startswith(b"HTTP/1.1 200"):
        ids = [line.split(b":", 1)[1].strip().decode() for line in rest.split(b"\r\n")
               if line.lower().startswith(b"x-request-id:")]
        assert len(ids) == 1 and is_valid_request_id(ids[0]) and ids[0].encode() != raw
    else:
        assert status_line.startswith(b"HTTP/1.1 400")  # gunicorn refused it before Django saw it
    if len(raw) >= 4:
        time.sleep(0.05)
        assert raw.decode("utf-8", "replace") not in json_server.stdout() + json_server.stderr()


def test_json_log_lines_parse_and_carry_the_response_id(json_server):
    status, headers = request(json_server, "get", "/api/test/ok", {"X-Request-ID": "json-line-1"})
    assert status == 200
    lines = log_lines(json_server, '"request_id": "json-line-1"', count=2)  # the view's line, then access
    records = [json.loads(line) for line in lines if line.strip()]  # every stdout line is JSON
    app = [r for r in records if r.get("message") == "api view ran" and r["request_id"] == "json-line-1"]
    assert len(app) == 1
    assert {"timestamp", "level", "logger", "message", "request_id", "trace_id", "span_id"} <= set(app[0])
    access = [r for r in records if r.get("logger") == "gunicorn.access" and r["request_id"] == "json-line-1"]
    assert len(access) == 1
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/api/test/ok", 200)


def test_generated_id_is_the_one_logged(json_server):
    _, headers = request(json_server, "get", "/api/test/ok")
    generated = request_ids(headers)[0]
    records = [json.loads(line) for line in log_lines(json_server, generated, count=2) if line.strip()]
    assert {r["logger"] for r in records if r.get("request_id") == generated} == {"tests.views", "gunicorn.access"}


def test_text_access_log_carries_the_id(text_server):
    _, headers = request(text_server, "get", "/api/test/ok", {"X-Request-ID": "text-line-1"})
    lines = log_lines(text_server, "request_id=text-line-1")
    assert any('"GET /api/test/ok HTTP/1.1" 200' in line and "request_id=text-line-1" in line for line in lines)
    assert any(line.endswith("[text-line-1] api view ran") for line in lines)


QUERY_SECRETS = ("AK-e2e-4411", "RS-e2e-5522")
SECRET_QUERY = f"api_key={QUERY_SECRETS[0]}&reset={QUERY_SECRETS[1]}&page=3"  # reset: no credential-like name


def test_json_lines_of_a_404_show_no_query_value_but_the_safe_ones(json_server):
    status, _ = request(json_server, "get", f"/no/such/page/?{SECRET_QUERY}", {"X-Request-ID": "query-json-1"})
    assert status == 404
    records = [json.loads(line) for line in log_lines(json_server, '"request_id": "query-json-1"', count=2)]
    access = [r for r in records if r["logger"] == "gunicorn.access" and r["request_id"] == "query-json-1"]
    assert [r["query"] for r in access] == ["api_key=***&reset=***&page=3"]
    django_request = [r for r in records if r["logger"] == "django.request" and r["request_id"] == "query-json-1"]
    assert [r["request"] for r in django_request] == [
        "<WSGIRequest: GET '/no/such/page/?api_key=***&reset=***&page=3'>"]
    assert not any(secret in json_server.stdout() + json_server.stderr() for secret in QUERY_SECRETS)


def test_text_access_line_shows_no_query_value_but_the_safe_ones(text_server):
    request(text_server, "get", f"/api/test/ok?{SECRET_QUERY}", {"X-Request-ID": "query-text-1"})
    lines = log_lines(text_server, "request_id=query-text-1")
    assert any('"GET /api/test/ok?api_key=***&reset=***&page=3 HTTP/1.1" 200' in line for line in lines)
    assert not any(secret in text_server.stdout() + text_server.stderr() for secret in QUERY_SECRETS)
