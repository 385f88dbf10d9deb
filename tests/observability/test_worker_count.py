"""WEB_CONCURRENCY checked by a .pth file before gunicorn casts it (under real gunicorn: tests/e2e/test_gunicorn.py)."""

from __future__ import annotations

import pytest

from observability import worker_count
from tests.support.processes import ROOT

PYTHON = "/venv/bin/python"


def test_the_wheels_pth_file_is_the_modules_line():
    shipped = (ROOT / "observability" / worker_count.PTH_FILE).read_text()
    assert shipped == worker_count.PTH_LINE and shipped.startswith("import ") and shipped.count("\n") == 1
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"observability/{worker_count.PTH_FILE}" = "{worker_count.PTH_FILE}"' in pyproject


@pytest.mark.parametrize(("argv", "gunicorn"), [
    ([PYTHON, "/venv/bin/gunicorn", "mysite.wsgi"], True),
    ([PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"], True),
    ([PYTHON, "-X", "dev", "-mgunicorn"], True),
    ([PYTHON, "-u", "/venv/bin/gunicorn"], True),
    ([PYTHON, "manage.py", "check"], False),
    ([PYTHON, "-c", "import gunicorn"], False),
    ([PYTHON, "-m", "celery", "-A", "chimera", "worker"], False),
    ([PYTHON], False),
])
def test_only_gunicorns_command_line_is_checked(argv, gunicorn):
    assert worker_count.runs_gunicorn(argv) is gunicorn
    environ = {"WEB_CONCURRENCY": "banana"}
    assert (worker_count.problem(environ, argv) is not None) is gunicorn


@pytest.mark.parametrize("value", ["banana", "inf", "1.5", "2 workers", "²"])
def test_a_value_gunicorn_cannot_cast_is_one_line_naming_it(value):
    environ = {"WEB_CONCURRENCY": value}
    assert worker_count.problem(environ, [PYTHON, "/venv/bin/gunicorn"]) == (
        f"Configuration error: WEB_CONCURRENCY must be a whole number (gunicorn's worker processes), got {value!r}.")
    assert environ == {"WEB_CONCURRENCY": value}


@pytest.mark.parametrize(("value", "left"), [(" ", {}), ("", {}), ("3", {"WEB_CONCURRENCY": "3"}),
                                             (" +4 ", {"WEB_CONCURRENCY": " +4 "})])
def test_a_blank_value_is_the_default_and_a_castable_one_gunicorns(value, left):
    environ = {"WEB_CONCURRENCY": value}
    assert worker_count.problem(environ, [PYTHON, "/venv/bin/gunicorn"]) is None
    assert environ == left


def test_install_writes_a_line_running_this_checkouts_module(tmp_path):
    written = worker_count.install(tmp_path)
    assert written.name == worker_count.PTH_FILE
    line = written.read_text()
    assert line.startswith("import os;") and str(ROOT / "observability" / "worker_count.py") in line
