"""No configured secret reaches any output, whichever library writes it, whatever fails.

Each secret carries a unique marker. The server then fails every way it can: spans and metrics
exported to a collector that is not there (its URLs carry a password and a query token), a provider that
answers 500 and one that cannot be reached, a database and a cache that are down, bad hosts.
No marker may appear in gunicorn's stdout or stderr, in any response, or in the output of the
commands that report the configuration.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.chat_server import ChatCompletionsServer
from tests.support.processes import Gunicorn, free_port, http_get, project_env, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRETS = {
    "SECRET_KEY": "SecretKeyMarker-4d1c-0123456789abcdefghijklmnopqrstuvwxyz",
    "database password": "DbPassMarker-77e1",
    "cache password": "CachePassMarker-88f2",
    "API key": "ApiKeyMarker-99a3-0123456789",
    "google key": "GoogleKeyMarker-55b4",
    "openai key": "OpenaiKeyMarker-66c5",
    "endpoint password": "EndpointPassMarker-22d6",
    "endpoint token": "QueryTok3nMarker-11e7",
    "exporter header": "HeaderMarker-33f8",
    "metrics endpoint password": "MetricsPassMarker-44a9",
    "metrics endpoint token": "MetricsTok3nMarker-55b0",
}


@pytest.fixture(scope="module")
def provider():
    with ChatCompletionsServer() as server:
        yield server


@pytest.fixture(scope="module")
def environment(provider) -> dict[str, str]:
    closed = free_port()
    return project_env(
        SECRET_KEY=SECRETS["SECRET_KEY"], LOG_LEVEL="DEBUG", WEB_CONCURRENCY="2",
        DATABASE_URL=f"postgres://app:{SECRETS['database password']}@127.0.0.1:{closed}/app",
        CACHE_URL=f"redis://:{SECRETS['cache password']}@127.0.0.1:{closed}/0",
        CHIMERA_API_KEYS=SECRETS["API key"], CHIMERA_THROTTLE_RATE="100/min",
        CHIMERA_PROVIDER_GOOGLE_URL=provider.url("error"), CHIMERA_PROVIDER_GOOGLE_API_KEY=SECRETS["google key"],
        CHIMERA_PROVIDER_OPENAI_URL=f"http://127.0.0.1:{closed}/v1",
        CHIMERA_PROVIDER_OPENAI_API_KEY=SECRETS["openai key"],
        TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http",
        TRACING_ENDPOINT=(f"http://collector:{SECRETS['endpoint password']}@127.0.0.1:{closed}/v1/traces"
                          f"?token={SECRETS['endpoint token']}"),
        TRACING_HEADERS=f"authorization={SECRETS['exporter header']}", TRACING_EXPORT_TIMEOUT_SECONDS="2",
        OTEL_BSP_SCHEDULE_DELAY="200",
        METRICS_EXPORTER="prometheus,otlp_http", METRICS_EXPORT_INTERVAL_SECONDS="0.5",
        METRICS_ENDPOINT=(f"http://collector:{SECRETS['metrics endpoint password']}@127.0.0.1:{closed}/v1/metrics"
                          f"?tenant={SECRETS['metrics endpoint token']}"),
    )


def leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret in text]


def post(server, path: str, body: dict, headers: dict[str, str]) -> str:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return f"{response.status} {dict(response.headers)} {response.read().decode()}"
    except urllib.error.HTTPError as error:
        return f"{error.code} {dict(error.headers)} {error.read().decode()}"


def test_no_secret_in_any_output_whatever_fails(environment, tmp_path):
    with Gunicorn(env=environment, log_dir=tmp_path / "gunicorn") as server:
        answers = []
        key = {"X-API-Key": SECRETS["API key"]}
        for provider in ("google", "openai", "local"):  # 500, unreachable, fine (and the cache is down)
            answers.append(post(server, "/api/v1/generate", {"prompt": "hi", "provider": provider}, key))
        answers.append(post(server, "/api/v1/generate", {"prompt": "hi"}, {"X-API-Key": "wrong"}))
        for path, headers in [("/api/v1/health/dashboard?refresh=1", key), ("/api/v1/health/dashboard", {}),
                              ("/health/ready", {}), ("/admin/login/", {}), ("/health", {"Host": "bad.example"}),
                              ("/api/v1/health/dashboard", {"Host": "bad.example"}), ("/admin/", {"Host": "x:1:2"})]:
            status, headers_back, body = http_get(server.url + path, headers=headers, timeout=20)
            answers.append(f"{status} {headers_back} {body.decode(errors='replace')}")
        answers.append(post(server, "/admin/login/", {"username": "x"}, {}))  # the database is down: a 500
        time.sleep(4)  # span exports fail and are retried meanwhile
        server.stop()
        output = server.output()
    commands = [run_manage(*args, env=environment, timeout=60) for args in (("check_tracing", "--probe"),
                                                                               ("health",))]
    command_output = "\n".join(result.stdout + result.stderr for result in commands)

    assert leaks(output) == []
    assert leaks("\n".join(answers)) == []
    assert leaks(command_output) == []
    # Every failure did happen, and was written, masked where it held a secret.
    assert "Provider google answered HTTP 500" in output
    assert "Provider openai unreachable" in output
    assert "Throttling of POST /api/v1/generate is unavailable" in output
    assert "DisallowedHost" in output
    assert "opentelemetry" in output.lower() and "/v1/traces" in output and "/v1/metrics" in output
    assert "***" in output + command_output
