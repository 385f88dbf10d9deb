"""The architecture stays easy to see: app boundaries and lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

REUSABLE_APPS = ("observability", "healthdash")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", REUSABLE_APPS)
def test_reusable_apps_never_import_the_project(app):
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "chimera")
        for path in (ROOT / app).rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True, cwd=ROOT,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_version_supported():
    assert sys.version_info >= (3, 11)
