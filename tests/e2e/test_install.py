"""The wheel in a new Django project, as docs/install.md tells a user to set it up.

The wheel is built from a clean copy of the repository and installed into fresh virtualenvs: the
core wheel alone, and the wheel with each extra alone. ``django-admin startproject`` makes one
project, which gets the public lines of docs/install.md; each virtualenv runs its commands, and
the gunicorn one serves it with the guide's gunicorn.conf.py. A setting that needs a missing
extra is an error naming the ``pip install`` line in every command and server of the core;
with its extra, the same setting works. Slow (the wheel with every extra is resolved against the
package index once, and each virtualenv is filled from those files), so the tests share one
virtualenv per extra, one project and one server. /metrics is exact across two workers with the
apps' settings module (``-c python:observability.gunicorn_conf``) and plain (``gunicorn -w 2
mysite.wsgi``, no file at all); a second server has tracing turned on, and nothing else set.
"""

from __future__ import annotations

import json
import re
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from observability.worker_count import PTH_FILE
from tests.support.packaging import Virtualenv, build_wheel, copy_checkout, make_wheelhouse
from tests.support.processes import ROOT, Gunicorn, free_port, http_get, side_by_side

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

APPS = ("observability", "healthdash")
# Files of the apps that must reach the wheel: code, and what Django finds next to it.
SHIPPED = re.compile(r"\.py$|/(?:templates|static|locale)/")
STAFF_USER = "staff"
STAFF_PASSWORD = "a-staff-password-for-install-tests"
# What docs/install.md has a user paste, in the shape startproject's lists allow, with MIDDLEWARE as
# the first published guide had it (RequestIDMiddleware alone: such projects keep working); the key,
# DEBUG and hosts a deployment sets.
SETTINGS = """
INSTALLED_APPS = [
    "healthdash.admin_site.HealthAdminConfig" if app == "django.contrib.admin" else app for app in INSTALLED_APPS
] + ["rest_framework", "observability", "healthdash"]
MIDDLEWARE = ["observability.middleware.RequestIDMiddleware", *MIDDLEWARE]
SECRET_KEY = "install-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
"""
# Settings a test turns on through the environment: a Redis cache, a Celery app instrumented.
SWITCHES = """
import os  # noqa: E402

if os.environ.get("INSTALL_TEST_REDIS_CACHE"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["INSTALL_TEST_REDIS_CACHE"]}}
if os.environ.get("INSTALL_TEST_CELERY"):
    from celery import Celery  # noqa: E402

    from observability.tasks import instrument  # noqa: E402

    instrument(Celery("mysite"))
"""
URLS = """
from django.urls import include  # noqa: E402

urlpatterns = [path("", include("healthdash.urls")), path("", include("observability.urls")), *urlpatterns]
"""


def guide_gunicorn_conf() -> str:
    """The gunicorn.conf.py that docs/install.md shows."""
    blocks = re.findall(r"```python\n(# gunicorn\.conf\.py\n.*?)```", (ROOT / "docs" / "install.md").read_text(),
                        flags=re.DOTALL)
    assert len(blocks) == 1, "docs/install.md shows no gunicorn.conf.py block (or several)"
    return blocks[0]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("source") / "chimera")


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    return build_wheel(source, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def wheelhouse(wheel, tmp_path_factory) -> Path:
    """The wheel with every extra, and WhiteNoise for the guide's static files recipe, resolved once against the
    package index, for the virtualenvs to install from."""
    return make_wheelhouse(f"{wheel}[{','.join(sorted(EXTRA_PACKAGES))}]", "whitenoise",
                           folder=tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="module")
def venvs(wheel, wheelhouse, tmp_path_factory):
    """The virtualenv of the wheel with one extra ("" for the core alone).

    The module uses every one of them, so all are made as soon as the first is asked for, two at a
    time. Each resolves its own requirements from the wheels' metadata, from the wheelhouse.
    """
    folders = {extra: tmp_path_factory.mktemp(f"install-{extra or 'core'}") / "venv"
               for extra in ("", *sorted(EXTRA_PACKAGES))}

    def make(extra: str) -> Virtualenv:
        env = Virtualenv.create(folders[extra])
        env.pip_install(f"{wheel}[{extra}]" if extra else str(wheel), wheelhouse=wheelhouse)
        return env

    with ThreadPoolExecutor(2) as pool:
        # The core and the server's first: the module's first tests wait for them.
        made = {extra: pool.submit(make, extra) for extra in dict.fromkeys(("", "gunicorn", *sorted(EXTRA_PACKAGES)))}
        yield lambda extra: made[extra].result()


@pytest.fixture(scope="module")
def core(venvs) -> Virtualenv:
    return venvs("")


@pytest.fixture(scope="module")
def venv(venvs) -> Virtualenv:
    """The one that serves the project: the core and the gunicorn extra."""
    return venvs("gunicorn")


def manage(venv: Virtualenv, project: Path, *args: str, **env: str):
    """Run the new project's ``manage.py`` with the virtualenv's Python."""
    return venv.run("python", "manage.py", *args, cwd=project, env=venv.env(**env), timeout=120)


@pytest.fixture(scope="module")
def project(venv, tmp_path_factory) -> Path:
    """A new project with the apps wired in, migrated, with a staff user."""
    folder = tmp_path_factory.mktemp("newproject")
    result = venv.run("django-admin", "startproject", "mysite", str(folder), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    with (folder / "mysite" / "settings.py").open("a") as settings:
        settings.write(SETTINGS + SWITCHES)
    with (folder / "mysite" / "urls.py").open("a") as urls:
        urls.write(URLS)
    (folder / "gunicorn.conf.py").write_text(guide_gunicorn_conf())
    result = manage(venv, folder, "migrate", "--noinput", "-v0")
    assert result.returncode == 0, result.stdout + result.stderr
    result = manage(venv, folder, "createsuperuser", "--noinput", "--username", STAFF_USER,
                    "--email", "staff@example.com", DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


@pytest.fixture(scope="module")
def server(venv, project, tmp_path_factory):
    """The new project under its virtualenv's gunicorn, configured by the guide's file."""
    gunicorn = Gunicorn(env=venv.env(), log_dir=tmp_path_factory.mktemp("gunicorn-install"), cwd=project,
                        python=venv.python, config=project / "gunicorn.conf.py")
    with gunicorn:
        yield gunicorn


@pytest.fixture
def traced_server(venv, project, otlp_http_receiver, tmp_path):
    """The same project with tracing turned on, exporting to a receiver, and no other setting."""
    env = venv.env(TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=otlp_http_receiver.endpoint,
                   OTEL_BSP_SCHEDULE_DELAY="100")
    with Gunicorn(env=env, log_dir=tmp_path, cwd=project, python=venv.python,
                  config=project / "gunicorn.conf.py") as gunicorn:
        yield gunicorn


def test_wheel_holds_the_two_apps_and_nothing_else(wheel, source):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    metadata = {name for name in names if name.split("/")[0].endswith(".dist-info")}
    # Beside the apps, the .pth file that checks WEB_CONCURRENCY before gunicorn casts it.
    assert {name.split("/")[0] for name in names - metadata} == {*APPS, PTH_FILE}
    expected = {
        path.relative_to(source).as_posix()
        for app in APPS for path in (source / app).rglob("*")
        if path.is_file() and SHIPPED.search(path.relative_to(source).as_posix())
    }
    assert expected - names == set(), "files of the apps missing from the wheel"
    assert f"observability/{PTH_FILE}" not in names
    # Both apps typed (PEP 561): a type checker reads their annotations in a project that installs the wheel.
    assert {f"{app}/py.typed" for app in APPS} <= names
    assert any(name.endswith("templates/healthdash/admin/health.html") for name in names)


def test_building_leaves_nothing_in_the_checkout(wheel, source):
    assert sorted(path.name for path in source.iterdir() if path.name == "build" or path.suffix == ".egg-info") == []


def installed(venv: Virtualenv) -> set[str]:
    """The distributions installed in `venv`, by their normalized names."""
    result = venv.pip("list", "--format=freeze")
    assert result.returncode == 0, result.stderr
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() for line in result.stdout.split()}


# What each extra brings that the core must not: the packages the issue found always installed.
EXTRA_PACKAGES = {  # tuples, not sets: parameters are named in the same order in every process
    "grpc": ("grpcio", "opentelemetry-exporter-otlp-proto-grpc"),
    "zipkin": ("opentelemetry-exporter-zipkin-json",),
    "redis": ("redis", "opentelemetry-instrumentation-redis"),
    "celery": ("celery", "kombu", "opentelemetry-instrumentation-celery"),
    "gunicorn": ("gunicorn",),
    "httpx": ("httpx",),
}


def test_the_core_wheel_installs_no_extra_and_what_it_needs(core):
    packages = installed(core)
    assert packages & set().union(*EXTRA_PACKAGES.values()) == set(), packages
    # What tracing imports (the issue: database spans' instrumentation was missing).
    assert {"opentelemetry-instrumentation-dbapi", "opentelemetry-exporter-otlp-proto-http"} <= packages
    result = core.pip("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_installs_as_many_packages_as_the_guide_says(core):
    # docs/install.md's figure counts `pip list` without pip and setuptools (this virtualenv has neither).
    row = re.search(r"^\| the core \| (\d+) \|", (ROOT / "docs" / "install.md").read_text(), flags=re.MULTILINE)
    assert row, "docs/install.md gives no package count for the core"
    assert len(installed(core) - {"pip", "setuptools"}) == int(row.group(1)), sorted(installed(core))


@pytest.mark.parametrize("extra", sorted(EXTRA_PACKAGES))
def test_each_extra_installs_its_packages_alone(venvs, extra):
    packages = installed(venvs(extra))
    assert set(EXTRA_PACKAGES[extra]) <= packages
    others = set().union(*(names for name, names in EXTRA_PACKAGES.items() if name != extra))
    others -= set(EXTRA_PACKAGES[extra])
    assert packages & others == set(), packages
    result = venvs(extra).pip("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_environment_cannot_import_the_project(venv, project):
    result = venv.run("python", "-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('chimera') "
                      "is not None)", cwd=project)
    assert result.returncode == 0, "chimera is importable in the new virtualenv:\n" + result.stderr
    result = venv.run("python", "-c", "import healthdash, observability; print(observability.__file__); "
                      "print(healthdash.__file__)", cwd=project)
    assert result.returncode == 0, result.stderr
    site_packages = venv.site_packages()
    assert all(Path(line).is_relative_to(site_packages) for line in result.stdout.split()), result.stdout
    importing = re.compile(r"^\s*(?:from|import)\s+chimera\b", flags=re.MULTILINE)
    offenders = [str(path.relative_to(site_packages)) for path in site_packages.rglob("*.py")
                 if importing.search(path.read_text(errors="replace"))]
    assert offenders == []


def test_management_commands(core, project):
    *checks, result = side_by_side(*[lambda command=command: manage(core, project, command)
                                     for command in ("check", "check_tracing", "health")])
    for command, checked in zip(("check", "check_tracing"), checks, strict=True):
        assert checked.returncode == 0, f"manage.py {command}:\n{checked.stdout}\n{checked.stderr}"
    assert result.returncode in (0, 1), f"manage.py health:\n{result.stdout}\n{result.stderr}"
    assert re.search(r"^database\s+up", result.stdout, flags=re.MULTILINE), result.stdout


def documented_settings() -> str:
    """The settings example of docs/install.md, as a reader pastes it."""
    install = (ROOT / "docs" / "install.md").read_text()
    return re.search(r"```python\n(OBSERVABILITY = \{\n.*?)```", install, flags=re.DOTALL).group(1)


def test_the_documented_settings_pass_the_checks(core, project):
    (project / "mysite" / "health.py").write_text("def search():\n    return None\n")
    (project / "mysite" / "settings_documented.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\n" + documented_settings())
    result = manage(core, project, "check", DJANGO_SETTINGS_MODULE="mysite.settings_documented")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_documented_variables_are_read_with_their_sources_named(core, project):
    # The finding 2: in another project, TRACING_ENABLED=true was ignored (only OTEL_* counted)
    # and check_tracing called a value of the settings dict [TRACING_ENABLED] and a rejected one [default].
    (project / "mysite" / "settings_sampled.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\nOBSERVABILITY = {'TRACING_SAMPLE_RATE': '0.5'}\n")
    sampled, rejected, checked = side_by_side(
        lambda: manage(core, project, "check_tracing", "--json", DJANGO_SETTINGS_MODULE="mysite.settings_sampled",
                       TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_SAMPLE_RATE="0.25"),
        lambda: manage(core, project, "check_tracing", TRACING_ENABLED="true", TRACING_SAMPLE_RATE="2"),
        lambda: manage(core, project, "check", METRICS_EXPORTER="banana", HEALTH_CACHE_SECONDS="banana"))
    assert sampled.returncode == 0, sampled.stdout + sampled.stderr
    configuration = json.loads(sampled.stdout)["configuration"]
    assert configuration["enabled"] == {"value": True, "source": "environment TRACING_ENABLED"}
    assert configuration["exporter"] == {"value": "otlp_http", "source": "environment TRACING_EXPORTER"}
    # The settings dict wins over the environment; what nothing sets comes from the project.
    assert configuration["sample_rate"] == {"value": 0.5, "source": "settings OBSERVABILITY['TRACING_SAMPLE_RATE']"}
    assert configuration["service_name"] == {"value": "mysite", "source": "default"}
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "sample rate      1.0  [default: environment TRACING_SAMPLE_RATE rejected]" in rejected.stdout
    assert "observability.E014" in rejected.stdout
    # The metrics' and the health dashboard's variables are read from the environment too.
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert re.search(r"observability\.E05\d.*METRICS_EXPORTER", checked.stderr), checked.stderr
    assert re.search(r"healthdash\.E\d+.*HEALTH_CACHE_SECONDS", checked.stderr), checked.stderr


def test_a_forgotten_healthdash_include_is_a_check_error_naming_the_line(core, project):
    (project / "mysite" / "urls_without_healthdash.py").write_text(
        "from django.contrib import admin\nfrom django.urls import path\n\n"
        "urlpatterns = [path('admin/', admin.site.urls)]\n")
    (project / "mysite" / "settings_without_healthdash_urls.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\nROOT_URLCONF = 'mysite.urls_without_healthdash'\n")
    result = manage(core, project, "check", DJANGO_SETTINGS_MODULE="mysite.settings_without_healthdash_urls")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "healthdash.E014" in result.stderr and 'include("healthdash.urls")' in result.stderr
    assert "observability.W069" in result.stderr  # /metrics is not routed either
    assert "Traceback" not in result.stderr


def test_the_core_traces_over_otlp_http_and_the_console(core, project):
    for exporter in ("otlp_http", "console"):
        env = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": exporter, "METRICS_EXPORTER": "prometheus,otlp_http",
               "TRACING_ENDPOINT": f"http://127.0.0.1:{free_port()}/v1/traces", "TRACING_SAMPLE_RATE": "1"}
        result = manage(core, project, "check", **env)
        assert result.returncode == 0, f"{exporter}:\n{result.stdout}\n{result.stderr}"
        probe = manage(core, project, "check_tracing", "--probe", "--timeout", "1", **env)
        # The console accepts the span; a receiver that is not there refuses it: the exporter ran.
        assert probe.returncode == (0 if exporter == "console" else 2), probe.stdout + probe.stderr
        assert "Error" not in probe.stderr, probe.stderr


# A setting that needs an extra -> (the environment, the check IDs it gives without the extra, the extra).
NEEDS = {
    "otlp": ({"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp"}, ["observability.E027"], "grpc"),
    "jaeger": ({"TRACING_ENABLED": "true", "TRACING_EXPORTER": "jaeger"}, ["observability.E027"], "grpc"),
    "zipkin": ({"TRACING_ENABLED": "true", "TRACING_EXPORTER": "zipkin"}, ["observability.E028"], "zipkin"),
    "metrics otlp": ({"METRICS_EXPORTER": "prometheus,otlp"}, ["observability.E059"], "grpc"),
    "redis cache": ({"TRACING_ENABLED": "true", "INSTALL_TEST_REDIS_CACHE": "redis://127.0.0.1:1/0"},
                    ["observability.E029", "healthdash.E015"], "redis"),
}


def assert_names_the_extra(result, ids: list[str], extra: str) -> None:
    output = result.stdout + result.stderr
    assert all(check_id in output for check_id in ids), output
    assert f"pip install 'django-chimera-observability[{extra}]'" in output, output
    assert "ImportError" not in output and "ModuleNotFoundError" not in output, output


@pytest.mark.parametrize("need", sorted(NEEDS))
def test_a_setting_needing_a_missing_extra_is_a_check_error_naming_it(core, project, need):
    env, ids, extra = NEEDS[need]
    check, report = side_by_side(lambda: manage(core, project, "check", **env),
                                 lambda: manage(core, project, "check_tracing", **env))
    assert check.returncode == 1, check.stdout + check.stderr
    assert_names_the_extra(check, ids, extra)
    assert report.returncode == (0 if need == "metrics otlp" else 1), report.stdout + report.stderr
    assert_names_the_extra(report, ids[:1], extra)


def test_health_and_servers_refuse_a_missing_extra_by_name(core, venv, project):
    env, ids, extra = NEEDS["otlp"]
    health, runserver, result = side_by_side(
        lambda: manage(core, project, "health", **env),
        lambda: core.run("python", "manage.py", "runserver", "--noreload", f"127.0.0.1:{free_port()}", cwd=project,
                         env=core.env(**env), timeout=60),
        lambda: venv.run("gunicorn", "--bind", f"127.0.0.1:{free_port()}", cwd=project, env=venv.env(**env),
                         timeout=60))
    assert health.returncode == 2, health.stdout + health.stderr
    assert_names_the_extra(health, ids, extra)
    assert runserver.returncode != 0, runserver.stdout + runserver.stderr
    assert_names_the_extra(runserver, ids, extra)
    assert result.returncode != 0, result.stdout + result.stderr
    assert_names_the_extra(result, ids, extra)


def test_the_wheels_gunicorn_names_a_worker_count_it_cannot_cast(venv, project):
    # gunicorn casts WEB_CONCURRENCY as it imports; the wheel's .pth file runs before that.
    result = venv.run("gunicorn", "--check-config", "mysite.wsgi", cwd=project,
                      env=venv.env(WEB_CONCURRENCY="banana"), timeout=60)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "Configuration error: WEB_CONCURRENCY must be a whole number (gunicorn's worker processes), got 'banana'."]


@pytest.mark.parametrize("need", sorted(NEEDS))
def test_with_its_extra_the_setting_works(venvs, project, need):
    env, _, extra = NEEDS[need]
    result = manage(venvs(extra), project, "check", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    if env.get("TRACING_EXPORTER"):  # the exporter is built and sends: to nothing, so the span is refused
        endpoint = f"http://127.0.0.1:{free_port()}" + ("/api/v2/spans" if extra == "zipkin" else "")
        probe = manage(venvs(extra), project, "check_tracing", "--probe", "--timeout", "1",
                       TRACING_ENDPOINT=endpoint, **env)
        assert probe.returncode == 2, probe.stdout + probe.stderr
        assert "not accepted" in probe.stdout, probe.stdout


def test_with_the_celery_extra_tasks_are_traced(venvs, core, project):
    env = {"TRACING_ENABLED": "true", "INSTALL_TEST_CELERY": "1"}
    result = manage(venvs("celery"), project, "check", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    script = ("import django; django.setup(); from opentelemetry.instrumentation.celery import CeleryInstrumentor; "
              "print(CeleryInstrumentor().is_instrumented_by_opentelemetry)")
    result = venvs("celery").run("python", "-c", script, cwd=project,
                                 env=venvs("celery").env(DJANGO_SETTINGS_MODULE="mysite.settings", **env))
    assert result.stdout.strip() == "True", result.stdout + result.stderr


def test_the_published_middleware_line_gets_a_warning_naming_the_others(venv, project):
    result = manage(venv, project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "observability.W043" in result.stderr, result.stderr
    assert '"observability.tracing.middleware.TracingMiddleware",' in result.stderr


def test_request_ids(server):
    response = requests.get(f"{server.url}/health", headers={"X-Request-ID": "install-test-42"}, timeout=10)
    assert response.headers["X-Request-ID"] == "install-test-42"
    generated = requests.get(f"{server.url}/health", timeout=10).headers["X-Request-ID"]
    assert uuid.UUID(generated).version == 4
    replaced = requests.get(f"{server.url}/health", headers={"X-Request-ID": "not valid"}, timeout=10)
    assert uuid.UUID(replaced.headers["X-Request-ID"]).version == 4
    # The guide's access logger writes the response's ID on the request's line.
    assert "request_id=install-test-42" in server.wait_for_stdout("request_id=install-test-42"), server.output()


def test_liveness_and_readiness(server):
    response = requests.get(f"{server.url}/health", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert requests.get(f"{server.url}/health/ready", timeout=10).status_code == 200


def test_dashboard(server):
    response = requests.get(f"{server.url}/api/v1/health/dashboard", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    services = json.loads(response.text)["services"]
    assert {"database", "cache", "migrations", "tracing"} <= set(services)


def test_admin_health_page(server):
    anonymous = requests.get(f"{server.url}/admin/health/", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/admin/login/?next=/admin/health/")

    with requests.Session() as staff:
        login = staff.get(f"{server.url}/admin/login/?next=/admin/health/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        page = staff.post(f"{server.url}/admin/login/?next=/admin/health/", timeout=30, data={
            "csrfmiddlewaretoken": token, "username": STAFF_USER, "password": STAFF_PASSWORD,
            "next": "/admin/health/",
        })
    assert (page.status_code, page.url) == (200, f"{server.url}/admin/health/"), page.text[:2000]
    assert "Service health" in page.text
    assert "<caption>Fleet</caption>" in page.text and "<caption>Recent status changes</caption>" in page.text


def test_the_fleet_and_its_history_for_staff(server):
    # A local cache, as startproject has: the workers' heartbeats are rows of the project's database.
    assert requests.get(f"{server.url}/api/v1/health/fleet", timeout=10).status_code in (401, 403)
    with requests.Session() as staff:
        login = staff.get(f"{server.url}/admin/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        staff.post(f"{server.url}/admin/login/", timeout=30, data={
            "csrfmiddlewaretoken": token, "username": STAFF_USER, "password": STAFF_PASSWORD, "next": "/admin/"})
        deadline, fleet = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            fleet = staff.get(f"{server.url}/api/v1/health/fleet", timeout=10).json()
            if fleet.get("count") == 2:  # both workers of the guide's gunicorn.conf.py have beaten
                break
            time.sleep(0.2)
        history = staff.get(f"{server.url}/api/v1/health/history", timeout=10)
    assert fleet.get("count") == 2, fleet
    assert {process["state"] for process in fleet["instances"]} == {"live"}
    assert len({process["id"] for process in fleet["instances"]}) == 2
    assert history.status_code == 200 and isinstance(history.json()["transitions"], list), history.text



def guide_static_recipe() -> tuple[str, str]:
    """The WhiteNoise recipe of docs/install.md: its middleware line, and the settings below its MIDDLEWARE."""
    install = (ROOT / "docs" / "install.md").read_text()
    blocks = re.findall(r"```python\n(MIDDLEWARE = \[\n[^`]*?whitenoise[^`]*)```", install)
    assert len(blocks) == 1, "docs/install.md shows no WhiteNoise block (or several)"
    middleware, settings = blocks[0].split("\n]\n", 1)
    [line] = re.findall(r'^    ("whitenoise\.[\w.]+"),', middleware, flags=re.MULTILINE)
    return line, settings


def test_the_guides_whitenoise_recipe_serves_the_admin_pages_static_files(venv, wheelhouse, project, server, tmp_path):
    # Without it, gunicorn serves no static file: the admin and its health page come without CSS and JavaScript.
    assert requests.get(f"{server.url}/static/admin/css/base.css", timeout=10).status_code == 404
    venv.pip_install("whitenoise", wheelhouse=wheelhouse)
    line, settings = guide_static_recipe()
    (project / "mysite" / "settings_static.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\n"
        "MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405\n"
        f'MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, {line})\n'
        + settings)
    env = {"DJANGO_SETTINGS_MODULE": "mysite.settings_static"}
    result = manage(venv, project, "collectstatic", "--noinput", "-v0", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((project / "staticfiles" / "staticfiles.json").read_text())["paths"]
    served = ["admin/css/base.css", "healthdash/health.css", "healthdash/health.js"]
    with Gunicorn(env=venv.env(**env), log_dir=tmp_path, cwd=project, python=venv.python,
                  config=project / "gunicorn.conf.py") as recipe:
        login = requests.get(f"{recipe.url}/admin/login/", timeout=10)
        answers = {name: requests.get(f"{recipe.url}/static/{manifest[name]}", timeout=10) for name in served}
    assert f"/static/{manifest['admin/css/base.css']}" in login.text  # the page names the hashed file
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(served, 200)
    assert answers["healthdash/health.js"].headers["Content-Type"].startswith("text/javascript")


@pytest.mark.parametrize("config", [None, "python:observability.gunicorn_conf"], ids=["plain", "apps-settings"])
def test_metrics_are_exact_across_two_workers_without_a_file(venv, project, tmp_path, config):
    # Run from a folder without the guide's gunicorn.conf.py: gunicorn reads none, or the apps' module.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = Gunicorn(env=venv.env(PYTHONPATH=str(project), METRICS_ANONYMOUS="true"), log_dir=tmp_path / "logs",
                      cwd=elsewhere, python=venv.python, config=config, args=["-w", "2", "mysite.wsgi"])
    with server:
        for _ in range(20):
            assert http_get(f"{server.url}/admin/login/", headers={"Connection": "close"})[0] == 200
        counts = set()
        for _ in range(8):
            status, _, body = http_get(f"{server.url}/metrics", headers={"Connection": "close"})
            assert status == 200, body
            found = re.findall(r'^http_server_request_duration_seconds_count\{[^}]*http_route="/admin/login/"[^}]*\} '
                               r"(\S+)$", body.decode(), flags=re.MULTILINE)
            counts.add(sum(float(value) for value in found))
        assert counts == {20.0}
        made_by_master = "Metrics: the workers share their values in" in server.stderr()
        assert made_by_master == (config is not None), server.output()
    if config is not None:  # the apps' access lines
        assert re.search(r'"GET /admin/login/ HTTP/1.1" 200 .* request_id=[0-9a-f-]{36} ', server.stdout())


def test_spans_are_the_projects_and_scrapes_are_not_traced(traced_server, otlp_http_receiver):
    for path in ("/metrics", "/metrics", "/admin/login/"):
        requests.get(f"{traced_server.url}{path}", timeout=10)
    otlp_http_receiver.wait_for(1, predicate=lambda span: "admin/login" in span.name)
    spans = otlp_http_receiver.spans()
    assert [span.name for span in spans if "metrics" in span.name] == []
    # Named after the project's settings package, in the environment its DEBUG (off) gives.
    assert {(span.service_name, span.resource.get("deployment.environment")) for span in spans} == {
        ("mysite", "production")}
