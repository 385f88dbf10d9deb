"""HTTPS settings from the environment, the documented production example, the admin's CSP, data/ modes."""

from __future__ import annotations

import re
import secrets
import stat

import pytest
from django.test import Client

from chimera.env import ConfigurationError, Env
from chimera.local_files import private_sqlite_file
from tests.support.processes import ROOT, project_env, run_manage


@pytest.fixture
def plain_static(settings):
    """Static files by their plain names: the admin's pages render without collectstatic."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def production_example() -> dict[str, str]:
    """The variables of docs/deployment.md's production example, placeholders filled with random values."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    block = re.search(r"```sh\n# production\.env\n(.*?)```", text, flags=re.DOTALL)
    assert block, "docs/deployment.md has no production example"
    variables = dict(line.split("=", 1) for line in block[1].splitlines() if line and not line.startswith("#"))
    return {name: secrets.token_urlsafe(40) if value.startswith("<") else value for name, value in variables.items()}


@pytest.mark.slow
def test_the_documented_production_example_passes_check_deploy():
    example = production_example()
    assert {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_PROXY_SSL_HEADER"} <= set(example)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=project_env(**example))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_without_them_check_deploy_warns():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env=project_env(CHIMERA_API_KEYS="k" * 32))
    assert result.returncode == 1
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(
        re.findall(r"security\.W\d{3}", result.stderr + result.stdout))


@pytest.mark.parametrize(("raw", "expected"), [
    ("X-Forwarded-Proto,https", ("HTTP_X_FORWARDED_PROTO", "https")),
    ("HTTP_X_FORWARDED_PROTO, https", ("HTTP_X_FORWARDED_PROTO", "https")),
    ("X-Forwarded-Ssl,on", ("HTTP_X_FORWARDED_SSL", "on")),
])
def test_proxy_ssl_header(monkeypatch, raw, expected):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    assert Env().proxy_ssl_header("SECURE_PROXY_SSL_HEADER") == expected


@pytest.mark.parametrize("raw", ["X-Forwarded-Proto", "X Forwarded,https", ",https", "X-Forwarded-Proto,https,on"])
def test_a_malformed_proxy_ssl_header_stops_start_up(monkeypatch, raw):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    with pytest.raises(ConfigurationError, match="^SECURE_PROXY_SSL_HEADER must be a header name"):
        Env().proxy_ssl_header("SECURE_PROXY_SSL_HEADER")


@pytest.mark.django_db
def test_ssl_redirect_spares_the_probes(client, settings, plain_static):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code in (200, 503)
    redirected = client.get("/admin/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


@pytest.mark.django_db
def test_the_admin_has_a_content_security_policy_and_the_api_none(plain_static):
    client = Client()
    assert client.get("/admin/login/")["Content-Security-Policy"] == "default-src 'self'"
    assert "Content-Security-Policy" not in client.get("/health")
    assert "Content-Security-Policy" not in client.get("/api/v1/health/dashboard")


def test_sqlite_files_are_private(tmp_path):
    database = tmp_path / "data" / "db.sqlite3"
    private_sqlite_file(database, folder_too=True)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    database.chmod(0o644)
    database.parent.chmod(0o755)
    private_sqlite_file(database, folder_too=True)  # an older install is tightened too
    assert (stat.S_IMODE(database.stat().st_mode), stat.S_IMODE(database.parent.stat().st_mode)) == (0o600, 0o700)


@pytest.mark.slow
def test_migrate_creates_the_database_0600(tmp_path):
    database = tmp_path / "fresh" / "db.sqlite3"
    result = run_manage("migrate", "--noinput", env=project_env(DATABASE_URL=f"sqlite:///{database}"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert database.stat().st_size > 0


def test_the_embedded_data_folder_is_private():
    # chimera.settings ran (these tests use it): the project's own data/ is 0700.
    assert stat.S_IMODE((ROOT / "data").stat().st_mode) == 0o700


@pytest.mark.slow
def test_check_deploy_names_what_shows_the_service_or_leaves_guessing_unlimited():
    exposed = {"METRICS_ANONYMOUS": "true", "SERVER_TIMING": "true", "API_KEY_FAILURE_RATE": "off",
               "CHIMERA_THROTTLE_RATE": "off"}
    deploy = run_manage("check", "--deploy", env=project_env(**production_example(), **exposed))
    found = set(re.findall(r"(?:observability|chimera)\.[EW]\d{3}", deploy.stderr + deploy.stdout))
    assert found == {"observability.W061", "observability.W031", "observability.W083", "chimera.W005"}
    # Valid settings for development: plain check says nothing of them.
    plain = run_manage("check", env=project_env(**production_example(), **exposed))
    assert "no issues" in plain.stdout, plain.stdout + plain.stderr
    # Trusting every address is refused everywhere, not only under --deploy.
    everyone = run_manage("check", env=project_env(**{**production_example(), "TRUSTED_PROXIES": "0.0.0.0/0"}))
    assert everyone.returncode == 1 and "observability.E082" in everyone.stderr + everyone.stdout
