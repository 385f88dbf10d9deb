"""The health endpoints under real gunicorn: IP Host probes, the dashboard, secrets kept out."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.processes import Gunicorn, http_get, project_env, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

API_KEY = "e2e-health-key-7f3a9c1d5b"
DB_PASSWORD = "e2e-db-pass-K2m9"
REDIS_PASSWORD = "e2e-redis-pass-W8q4"
DASHBOARD = "/api/v1/health/dashboard"


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db_url):
    env = project_env(DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="1", CHIMERA_API_KEYS=f"other-key-000000,{API_KEY}")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn-health")) as gunicorn:
        yield gunicorn


def get_json(server, path, **headers):
    status, response_headers, body = http_get(server.url + path, headers=headers)
    return status, response_headers, json.loads(body) if body.startswith(b"{") else body


@pytest.mark.parametrize("host", ["10.20.30.40", "10.20.30.40:8000", "[fd00::5]:8000"])
def test_liveness_and_readiness_answer_a_load_balancer_with_an_ip_host(server, host):
    assert http_get(server.url + "/health", headers={"Host": host})[::2] == (200, b'{"status": "ok"}')
    status, _, body = http_get(server.url + "/health/ready", headers={"Host": host})
    assert (status, json.loads(body)) == (200, {"status": "up"})


@pytest.mark.parametrize(("path", "host"), [
    ("/admin/login/", "10.20.30.40"), (DASHBOARD, "10.20.30.40"), ("/health", "evil.example"),
])
def test_host_checking_is_not_weakened_elsewhere(server, path, host):
    assert http_get(server.url + path, headers={"Host": host})[0] == 400


def test_dashboard_anonymous_compatibility(server):
    status, headers, body = get_json(server, DASHBOARD)
    assert status == 200
    assert {"services", "middleware", "providers"} <= set(body)
    assert {"database", "cache", "migrations", "tracing"} <= set(body["services"])
    assert all(service == {"registered": True, "status": service["status"], "critical": service["critical"],
                           "latency_ms": service["latency_ms"]} for service in body["services"].values())
    assert body["middleware"]["csrf"] == "active"
    assert "no-store" in headers["cache-control"]


def test_dashboard_details_with_an_api_key(server):
    status, _, body = get_json(server, DASHBOARD + "?refresh=1", **{"X-API-Key": API_KEY})
    assert status == 200
    assert body["services"]["database"]["details"]["vendor"] == "sqlite"
    assert get_json(server, DASHBOARD, **{"X-API-Key": "wrong"})[0] == 401


def test_health_json(server):
    status, headers, body = http_get(server.url + DASHBOARD, headers={"Accept": "application/health+json"})
    assert (status, headers["content-type"]) == (200, "application/health+json")
    assert json.loads(body)["checks"]["database:responseTime"][0]["componentType"] == "datastore"


def with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    userinfo, at, host = rest.rpartition("@")
    return f"{scheme}://{userinfo.split(':', 1)[0] if at else ''}:{password}@{host}"


def test_no_secret_in_json_health_json_cli_or_logs(tmp_path, postgres_url, redis_url):
    env = project_env(
        DATABASE_URL=with_password(postgres_url, DB_PASSWORD), CACHE_URL=with_password(redis_url, REDIS_PASSWORD),
        CHIMERA_API_KEYS=API_KEY, WEB_CONCURRENCY="1", LOG_LEVEL="DEBUG",
    )
    with Gunicorn(env=env, log_dir=tmp_path / "gunicorn") as gunicorn:
        outputs = [
            http_get(gunicorn.url + DASHBOARD)[2],
            http_get(gunicorn.url + DASHBOARD + "?refresh=1", headers={"X-API-Key": API_KEY})[2],
            http_get(gunicorn.url + DASHBOARD, headers={"X-API-Key": API_KEY, "Accept": "application/health+json"})[2],
        ]
        detailed = json.loads(outputs[1])
    assert detailed["services"]["database"]["status"] == "up", detailed
    assert detailed["services"]["cache"]["status"] == "up", detailed
    # A database that does not exist: the check fails, and its traceback is logged (-v 2 shows it).
    missing = postgres_url.rsplit("/", 1)[0] + f"/healthdash_missing_{uuid.uuid4().hex[:8]}"
    cli_env = {**env, "DATABASE_URL": with_password(missing, DB_PASSWORD)}
    cli = [run_manage("health", "-v", "2", env=cli_env), run_manage("health", "--json", env=env)]
    assert cli[0].returncode == 1 and "Traceback" in cli[0].stdout + cli[0].stderr
    text = b"".join(outputs).decode() + gunicorn.output() + "".join(r.stdout + r.stderr for r in cli)
    for secret in (DB_PASSWORD, REDIS_PASSWORD, API_KEY):
        assert secret not in text
