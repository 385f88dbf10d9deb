"""The README's two commands, run as a new user would: in a fresh copy of the project.

Slow (a virtualenv is built from scratch), so both commands share one copy.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import stat
import subprocess
import time

import pytest

from tests.support.packaging import copy_checkout
from tests.support.processes import ROOT, free_port, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def readme_commands() -> list[list[str]]:
    """The commands of the README's first code block, comments stripped."""
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    assert block, "the README opens with no sh code block"
    return [shlex.split(line.split("#", 1)[0]) for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("```sh") < 200, "the commands are not at the top of the README"
    assert readme_commands() == [["bin/serve"], ["bin/test"]]


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory):
    """The project's files as a clone would have them (tracked and new, never ignored ones)."""
    return copy_checkout(tmp_path_factory.mktemp("clone") / "chimera")


def test_first_command_sets_up_and_serves(fresh_copy):
    port = free_port()
    env = project_env(SECRET_KEY=None, CHIMERA_ENV_FILE=None, GUNICORN_BIND=f"127.0.0.1:{port}")
    log = open(fresh_copy.parent / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(readme_commands()[0], cwd=fresh_copy, env=env, stdout=log, stderr=log,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _, body = http_get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("bin/serve did not answer /health:\n" + (fresh_copy.parent / "serve.log").read_text())
        assert (status, body) == (200, b'{"status": "ok"}')
        status, _, page = http_get(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200
        css = re.search(rb'href="(/static/admin/css/[^"]+\.css)"', page).group(1).decode()
        assert http_get(f"http://127.0.0.1:{port}{css}")[0] == 200
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
        log.close()

    env_file = fresh_copy / ".env"
    assert re.search(r"^SECRET_KEY=\S{50,}$", env_file.read_text(), flags=re.MULTILINE)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert (fresh_copy / "data" / "db.sqlite3").is_file()


def test_second_command_runs_tests(fresh_copy):
    # A small part of the suite: the whole suite would run this test again, recursively.
    command = [*readme_commands()[1], "tests/test_env.py", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=fresh_copy, env=project_env(SECRET_KEY=None), capture_output=True,
                            text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
