"""The service under real gunicorn: configuration, liveness without a database, static files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support.processes import ROOT, Gunicorn, free_port, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db_url, static_root):
    env = project_env(DATABASE_URL=migrated_db_url, STATIC_ROOT=str(static_root), WEB_CONCURRENCY="1")
    with Gunicorn(env=env, log_dir=tmp_path_factory.mktemp("gunicorn")) as gunicorn:
        yield gunicorn


def test_health_answers_without_a_database(tmp_path):
    # PostgreSQL at a port where nothing listens: any query would fail or hang.
    env = project_env(DATABASE_URL=f"postgres://nobody:pw@127.0.0.1:{free_port()}/none", WEB_CONCURRENCY="1")
    with Gunicorn(env=env, log_dir=tmp_path) as gunicorn:
        status, headers, body = http_get(gunicorn.url + "/health")
    assert (status, body) == (200, b'{"status": "ok"}')
    assert headers["content-type"] == "application/json"


def test_each_worker_leaves_the_loaded_application_out_of_full_garbage_collections(tmp_path, migrated_db_url):
    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=migrated_db_url, WEB_CONCURRENCY="2")
    frozen = {}
    with Gunicorn(env=env, log_dir=tmp_path) as gunicorn:
        for _ in range(100):  # new connections: the two workers take turns, not in any set order
            answer = json.loads(http_get(gunicorn.url + "/collector")[2])
            frozen[answer["pid"]] = answer["frozen"]
            if len(frozen) == 2:
                break
    assert len(frozen) == 2, frozen
    # Django, the apps, the URLconf: tens of thousands of objects a full collection no longer walks.
    assert all(count > 20_000 for count in frozen.values()), frozen


def test_admin_and_its_static_files_are_served_without_debug(server):
    status, _, body = http_get(server.url + "/admin/login/")
    assert status == 200
    stylesheets = re.findall(rb'href="(/static/[^"]+\.css)"', body)
    assert stylesheets, "the admin login page links no stylesheet"
    for href in stylesheets:
        css_status, css_headers, _ = http_get(server.url + href.decode())
        assert css_status == 200, href
        assert css_headers["content-type"].startswith("text/css")
    # WhiteNoise serves the content-hashed names with a long cache lifetime.
    assert any(re.search(rb"\.[0-9a-f]{12}\.css$", href) for href in stylesheets)


def test_access_log_on_stdout(server):
    http_get(server.url + "/health")
    deadline = time.monotonic() + 5
    while '"GET /health HTTP/1.1" 200' not in server.stdout() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"GET /health HTTP/1.1" 200' in server.stdout()


def test_bind_and_workers_from_environment_and_flags_win(tmp_path):
    env_port, flag_port = free_port(), free_port()
    env = project_env(GUNICORN_BIND=f"127.0.0.1:{env_port}", WEB_CONCURRENCY="3")
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    env_only = Gunicorn(env=env, log_dir=tmp_path / "env", port=env_port, bind_flag=False)
    env_only.start()
    try:
        deadline = time.monotonic() + 10
        while env_only.stderr().count("Booting worker") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert env_only.stderr().count("Booting worker") == 3
    finally:
        env_only.stop()

    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{flag_port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert http_get(f"http://127.0.0.1:{flag_port}/health")[0] == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer on the port given by --bind")
        with pytest.raises(OSError):
            http_get(f"http://127.0.0.1:{env_port}/health", timeout=1)
    finally:
        process.terminate()
        stderr = process.communicate(timeout=30)[1]
    assert stderr.count("Booting worker") == 1


@pytest.mark.parametrize(("variable", "value"), [
    ("DEBUG", "maybe"), ("SECRET_KEY", None), ("GUNICORN_TIMEOUT", "soon"), ("LOG_FORMAT", "xml"),
    ("HEALTH_DEADLINE", "soon"), ("HEALTH_ANONYMOUS", "everything"),
    ("WEB_CONCURRENCY", "100000"), ("GUNICORN_THREADS", "1000000"), ("WEB_CONCURRENCY", "0"),
])
def test_invalid_setting_stops_gunicorn_with_one_clear_line(tmp_path, variable, value):
    output = Gunicorn(env=project_env(**{variable: value}), log_dir=tmp_path).refused()
    assert f"Configuration error: {variable}" in output or re.search(
        rf"Configuration error: Invalid configuration:\n  healthdash\.E\d{{3}} {variable} ", output)
    assert "Traceback" not in output
    assert "Booting worker" not in output


def test_the_apps_settings_module_checks_the_configuration_at_start_and_at_each_reload(tmp_path):
    # No gunicorn.conf.py and no DJANGO_SETTINGS_MODULE: the settings beside chimera.wsgi are checked.
    env_file = tmp_path / "service.env"
    env_file.write_text("HEALTH_DEADLINE=3\n")
    env = project_env(CHIMERA_ENV_FILE=str(env_file), PYTHONPATH=str(ROOT))
    server = Gunicorn(env=env, log_dir=tmp_path / "logs", cwd=tmp_path, config="python:observability.gunicorn_conf",
                      args=["chimera.wsgi:application"])
    with server:
        assert "Metrics: the workers share their values in" in server.stderr()
        env_file.write_text("HEALTH_DEADLINE=soon\n")
        server.process.send_signal(signal.SIGHUP)
        assert server.wait(timeout=60) != 0
    assert re.search(r"Configuration error: Invalid configuration:\n  healthdash\.E\d{3} HEALTH_DEADLINE ",
                     server.stderr()), server.output()
    refused = Gunicorn(env=env, log_dir=tmp_path / "refused", cwd=tmp_path, config="python:observability.gunicorn_conf",
                       args=["chimera.wsgi:application"]).refused()
    assert "HEALTH_DEADLINE" in refused and "Booting worker" not in refused


@pytest.mark.parametrize("value", ["banana", "inf", " "])
def test_bin_serve_names_every_malformed_worker_variable_first(value):
    env = project_env(WEB_CONCURRENCY=value, GUNICORN_THREADS="many")
    # What bin/serve runs first: every malformed variable named, no traceback.
    checked = subprocess.run([sys.executable, "gunicorn.conf.py"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert checked.stderr.splitlines() == [
        "Configuration error: 2 settings are invalid:",
        f"  WEB_CONCURRENCY must be a whole number from 1 to {max(8, 4 * len(os.sched_getaffinity(0)))}, "
        f"got {value!r}.",
        "  GUNICORN_THREADS must be a whole number from 1 to 1024, got 'many'.",
    ]
    assert "gunicorn.conf.py" in (ROOT / "bin" / "serve").read_text()


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    """A virtualenv of its own whose packages are this one's: the .pth files of its site-packages are the test's.

    This environment's site-packages is put on the path without running its own .pth files: bin/test
    writes the check's .pth there, and the test must see gunicorn without it first.
    """
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site_packages = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; "
                                         "print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True,
                                        check=True, timeout=60).stdout.strip())
    (site_packages / "chain.pth").write_text(f"import sys; sys.path.append({sysconfig.get_paths()['purelib']!r})\n")
    return venv


def bare_gunicorn(venv: Path, value: str, *args: str, module: bool = False,
                  cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """gunicorn's own command (or ``python -m gunicorn``) with WEB_CONCURRENCY=`value`, --check-config."""
    command = ["-m", "gunicorn"] if module else [str(Path(sys.executable).parent / "gunicorn")]
    return subprocess.run([str(venv / "bin" / "python"), *command, *args, "--check-config"], cwd=cwd,
                          env=project_env(WEB_CONCURRENCY=value, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=60)


def test_bare_gunicorn_names_a_worker_count_it_cannot_cast_in_one_line(fresh_venv, tmp_path):
    # gunicorn casts WEB_CONCURRENCY as it imports, before any configuration file or hook: a traceback.
    before = bare_gunicorn(fresh_venv, "banana", "chimera.wsgi", cwd=tmp_path)
    assert before.returncode != 0 and "Traceback" in before.stderr
    installed = subprocess.run([str(fresh_venv / "bin" / "python"), "-m", "observability.worker_count", "install"],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    for value, args, module, cwd in [("banana", ["chimera.wsgi"], False, tmp_path),
                                     ("inf", ["--config", "gunicorn.conf.py"], False, ROOT),
                                     ("1.5", ["chimera.wsgi"], True, tmp_path)]:
        refused = bare_gunicorn(fresh_venv, value, *args, module=module, cwd=cwd)
        assert refused.returncode != 0
        assert refused.stderr.splitlines() == [
            f"Configuration error: WEB_CONCURRENCY must be a whole number (gunicorn's worker processes), "
            f"got {value!r}."], refused.stderr
    # A blank value is the default, as bin/serve and the settings read it; a good one is gunicorn's.
    for value in (" ", "2"):
        checked = bare_gunicorn(fresh_venv, value, "--config", "gunicorn.conf.py")
        assert checked.returncode == 0, checked.stderr
    # Other programs in the environment are left alone: they do not read it, or name it themselves.
    other = subprocess.run([str(fresh_venv / "bin" / "python"), "-c", "print('ran')"], capture_output=True, text=True,
                           env=project_env(WEB_CONCURRENCY="banana"), timeout=60)
    assert other.stdout == "ran\n" and other.stderr == ""
    assert "observability.worker_count install" in (ROOT / "bin" / "_setup.sh").read_text()
