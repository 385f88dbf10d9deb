"""HEALTH_URL_CHECKS: parsed strictly, registered as non-critical services, checked against a real HTTP server."""

from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from healthdash.checks import configuration_problems
from healthdash.conf import parse_settings
from healthdash.probes import register_url_checks, url_check_problems
from healthdash.registry import ServiceRegistry
from healthdash.status import Status
from healthdash.url_checks import UrlCheck
from observability.redaction import redact

PASSWORD = "url-check-pw-Zr81"
TOKEN = "url-check-token-Qp55"


class Upstream:
    """An HTTP server on 127.0.0.1 answering `status` (or nothing for `delay` seconds), recording its requests."""

    def __init__(self):
        self.status, self.delay, self.requests = 200, 0.0, []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                upstream.requests.append((self.path, self.headers.get("Authorization")))
                time.sleep(upstream.delay)
                self.send_response(upstream.status)
                if 300 <= upstream.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


@pytest.mark.parametrize(("status", "expected"), [
    (200, Status.UP), (204, Status.UP), (302, Status.UP), (404, Status.DOWN), (500, Status.DOWN), (503, Status.DOWN),
])
def test_2xx_and_3xx_are_up_anything_else_down(upstream, registry, runner, status, expected):
    upstream.status = status
    registry.register("upstream", UrlCheck(upstream.url + "/ping", 1.0), critical=False)
    result = runner.run().results["upstream"]
    assert result.status is expected, result.reason
    assert upstream.requests[0][0] == "/ping" and len(upstream.requests) == 1  # redirects are not followed
    if expected is Status.DOWN:
        assert result.reason == f"ConnectionError: {upstream.url}/ping answered {status}"


def test_no_answer_within_the_timeout_is_down(upstream, registry, runner):
    upstream.delay = 1.5
    registry.register("slow", UrlCheck(upstream.url, 0.3), critical=False, timeout=0.3)
    started = time.monotonic()
    result = runner.run().results["slow"]
    assert result.status is Status.DOWN and result.reason == "timeout"
    assert time.monotonic() - started < 1.4


def test_nothing_listening_is_down(registry, runner):
    from tests.support.processes import free_port

    registry.register("gone", UrlCheck(f"http://127.0.0.1:{free_port()}/", 1.0), critical=False)
    assert runner.run().results["gone"].status is Status.DOWN


def test_credentials_are_sent_and_never_shown(upstream, registry, runner, healthdash_settings):
    url = upstream.url.replace("http://", f"http://ops:{PASSWORD}@") + f"/health?token={TOKEN}"
    healthdash_settings(HEALTH_URL_CHECKS=f"search={url}")
    register_url_checks(registry)
    service = registry.get("search")
    assert not service.critical
    upstream.status = 500
    result = runner.run().results["search"]
    assert upstream.requests[0] == (f"/health?token={TOKEN}", "Basic " + base64.b64encode(
        f"ops:{PASSWORD}".encode()).decode())
    shown = f"{service!r} {service.description} {result.reason} {result.details}"
    assert PASSWORD not in shown and TOKEN not in shown and "ops:***@" in service.description
    assert PASSWORD not in redact(f"failed: {PASSWORD} and {TOKEN}") and TOKEN not in redact(f"x {TOKEN}")


def test_registered_from_the_settings_one_service_each(healthdash_settings, upstream, registry, runner):
    healthdash_settings(HEALTH_URL_CHECKS=f"a={upstream.url}/a, b-2={upstream.url}/b", HEALTH_CHECK_TIMEOUT="0.7")
    register_url_checks(registry)
    assert [(s.name, s.timeout, s.critical) for s in registry] == [("a", 0.7, False), ("b-2", 0.7, False)]
    results = runner.run().results
    assert results["a"].details == {"url": f"{upstream.url}/a", "status_code": 200}


def test_a_name_another_service_holds_is_refused(healthdash_settings, upstream):
    registry = ServiceRegistry()
    registry.register("database", lambda: None)
    healthdash_settings(HEALTH_URL_CHECKS=f"database={upstream.url}")
    register_url_checks(registry)
    assert not isinstance(registry.get("database").check, UrlCheck)
    problems = url_check_problems(registry)
    assert [(p.id, p.variable) for p in problems] == [("healthdash.E034", "HEALTH_URL_CHECKS")]


@pytest.mark.parametrize(("value", "problem_id"), [
    ("search", "healthdash.E032"),
    ("Search=https://a.example", "healthdash.E032"),
    (f"{'x' * 65}=https://a.example", "healthdash.E032"),
    ("search=ftp://a.example", "healthdash.E032"),
    ("search=https://", "healthdash.E032"),
    (f"search=https://ops:{PASSWORD}@a.example:99999/", "healthdash.E032"),
    ("a=https://a.example,a=https://b.example", "healthdash.E033"),
    ({"a": 5}, "healthdash.E032"),
    (42, "healthdash.E032"),
])
def test_bad_entries_name_the_variable_and_never_show_a_password(value, problem_id):
    _, problems = parse_settings({"HEALTH_URL_CHECKS": value}, {})
    assert [p.id for p in problems] == [problem_id]
    assert "HEALTH_URL_CHECKS" in problems[0].message and PASSWORD not in problems[0].message


@pytest.mark.parametrize(("variable", "value", "problem_id"), [
    ("HEALTH_HEARTBEAT_SECONDS", "0", "healthdash.E030"), ("HEALTH_HEARTBEAT_SECONDS", "often", "healthdash.E030"),
    ("SERVICE_VERSION", " ", "healthdash.E031"), ("SERVICE_VERSION", "1.0\x00", "healthdash.E031"),
    ("HEALTH_CHECK_TIMEOUT", "0", "healthdash.E035"), ("HEALTH_CHECK_TIMEOUT", "-1", "healthdash.E035"),
])
def test_bad_fleet_values_name_the_variable(variable, value, problem_id):
    _, problems = parse_settings({}, {variable: value})
    assert [(p.id, p.variable) for p in problems] == [(problem_id, variable)]
    assert variable in problems[0].message and problems[0].hint


def test_defaults_and_values_from_the_environment():
    config, problems = parse_settings({}, {"HEALTH_HEARTBEAT_SECONDS": "2.5", "SERVICE_VERSION": " 1.4.2 ",
                                           "HEALTH_URL_CHECKS": "a=http://a.example/,b=https://b.example/x",
                                           "HEALTH_CHECK_TIMEOUT": "0.5"})
    assert problems == []
    assert (config.heartbeat_seconds, config.service_version, config.check_timeout) == (2.5, "1.4.2", 0.5)
    assert dict(config.url_checks) == {"a": "http://a.example/", "b": "https://b.example/x"}
    default, _ = parse_settings({}, {})
    assert (default.heartbeat_seconds, default.service_version, default.check_timeout, dict(default.url_checks)) == (
        10.0, "unknown", 2.0, {})


def test_the_system_check_refuses_a_bad_entry(healthdash_settings):
    healthdash_settings(HEALTH_URL_CHECKS="no-url-here")
    assert [p.id for p in configuration_problems()] == ["healthdash.E032"]
