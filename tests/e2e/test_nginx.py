"""The shipped nginx site configuration in front of gunicorn (Debian's nginx, free ports).

Requests pass; X-Request-ID and traceparent reach the application and come back; the client's
address and scheme come from X-Forwarded-For / X-Forwarded-Proto only when TRUSTED_PROXIES /
SECURE_PROXY_SSL_HEADER say so, never because a client (or gunicorn's own defaults) claims it.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.support.nginx import Nginx
from tests.support.processes import Gunicorn, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CLIENT = "127.0.0.2"  # the test's own address: not the proxy's (127.0.0.1), so the two can be told apart


def request(port: int, path: str, headers: dict[str, str] | None = None,
            source: str = CLIENT) -> tuple[int, dict[str, str], dict]:
    """GET from `source`: status, headers (lower-cased names), JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        connection.close()


def serve(tmp_path_factory, migrated_db_url, name: str, **variables: str) -> Gunicorn:
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=migrated_db_url,
                      WEB_CONCURRENCY="1", GUNICORN_THREADS="4", TRACING_ENABLED="true",
                      TRACING_EXPORTER="console", **variables)
    return Gunicorn(env=env, log_dir=tmp_path_factory.mktemp(name)).start()


@pytest.fixture(scope="module")
def plain(tmp_path_factory, migrated_db_url):
    """gunicorn trusting no proxy, behind nginx."""
    server = serve(tmp_path_factory, migrated_db_url, "gunicorn-plain")
    proxy = Nginx(server.port, tmp_path_factory.mktemp("nginx-plain")).start()
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture(scope="module")
def trusting(tmp_path_factory, migrated_db_url):
    """gunicorn trusting nginx (127.0.0.1) for the client's address and X-Forwarded-Proto, behind nginx."""
    server = serve(tmp_path_factory, migrated_db_url, "gunicorn-trusting", TRUSTED_PROXIES="127.0.0.1",
                   SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto,https")
    proxy = Nginx(server.port, tmp_path_factory.mktemp("nginx-trusting")).start()
    yield server, proxy
    proxy.stop()
    server.stop()


def test_requests_pass_with_their_request_id_and_trace(plain):
    server, proxy = plain
    status, headers, body = request(proxy.port, "/echo", {"X-Request-ID": "through-nginx-1",
                                                          "traceparent": TRACEPARENT})
    assert status == 200
    assert headers["x-request-id"] == "through-nginx-1"
    assert body["request_id"] == "through-nginx-1"
    assert body["traceparent"] == TRACEPARENT
    # The trace comes back: the server span continued the caller's trace.
    assert headers["traceresponse"].split("-")[1] == TRACEPARENT.split("-")[1]
    assert headers["server"].startswith("nginx")


def test_without_an_id_nginx_and_the_application_share_one(plain):
    _, proxy = plain
    status, headers, body = request(proxy.port, "/echo")
    assert status == 200
    assert len(headers["x-request-id"]) == 32 and headers["x-request-id"] == body["request_id"]


def test_nothing_forwarded_is_believed_without_the_settings(plain):
    server, proxy = plain
    _, _, through = request(proxy.port, "/echo", {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
    assert (through["remote_addr"], through["scheme"]) == ("127.0.0.1", "http")  # nginx, as gunicorn sees it
    # Straight to gunicorn, a client's claims count for nothing either, even from 127.0.0.1, which
    # gunicorn's own default would trust for the scheme.
    for source in (CLIENT, "127.0.0.1"):
        _, _, direct = request(server.port, "/echo", {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"},
                               source=source)
        assert (direct["remote_addr"], direct["scheme"]) == (source, "http")


def test_trusted_proxies_name_the_client_and_the_scheme(trusting):
    server, proxy = trusting
    _, _, through = request(proxy.port, "/echo", {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
    # nginx appended the client's real address to the spoofed one, and replaced the scheme with its own.
    assert (through["remote_addr"], through["scheme"]) == (CLIENT, "http")
    # gunicorn's access line shows the client too.
    assert f'{CLIENT} "GET /echo HTTP/1.1" 200' in server.wait_for_stdout(f'{CLIENT} "GET /echo')
    # Only the proxy's word counts: straight from the client, its claims are ignored.
    _, _, direct = request(server.port, "/echo", {"X-Forwarded-For": "6.6.6.6"})
    assert direct["remote_addr"] == CLIENT


def test_the_proxy_ssl_header_decides_the_scheme(trusting, plain):
    trusting_server, _ = trusting
    plain_server, _ = plain
    headers = {"X-Forwarded-Proto": "https"}
    assert request(trusting_server.port, "/echo", headers)[2]["scheme"] == "https"
    assert request(plain_server.port, "/echo", headers)[2]["scheme"] == "http"
