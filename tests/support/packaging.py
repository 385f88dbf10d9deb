"""The project as others get it: a clean copy of the checkout, its wheel, a fresh virtualenv.

A virtualenv made here sees nothing of the repository: its commands run without PYTHONPATH,
user site-packages or a virtualenv of ours, so only what is installed into it can be imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT, project_env


def copy_checkout(destination: Path) -> Path:
    """Copy the project's files as a clone would have them (tracked and new, never ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def build_wheel(source: Path, wheel_dir: Path, timeout: float = 300) -> Path:
    """Build the wheel of the project in `source` into `wheel_dir` (the backend in an isolated env); its path."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "--wheel-dir", str(wheel_dir), str(source)],
        cwd=source, env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    wheels = list(wheel_dir.glob("*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {wheel_dir}, found {wheels}"
    return wheels[0]


def make_wheelhouse(*requirements: str, folder: Path, timeout: float = 600) -> Path:
    """`requirements` and all they need, resolved once against the package index, as wheels in `folder`.

    Virtualenvs installing parts of it with ``--no-index`` still resolve each requirement from the
    wheels' metadata (so what the core or an extra pulls in is what the index would give), without
    asking the index again for every package of every virtualenv. ``pip wheel``, not ``pip download``:
    a dependency published as a source archive only is built here once, not in each virtualenv.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--wheel-dir", str(folder),
         *requirements],
        env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    return folder


def clean_env(**overrides: str | None) -> dict[str, str]:
    """`project_env` without its test key and without anything that changes what Python imports."""
    return project_env(**{
        "SECRET_KEY": None, "CHIMERA_ENV_FILE": None, "PYTHONPATH": None, "PYTHONHOME": None,
        "PYTHONSTARTUP": None, "VIRTUAL_ENV": None, "PYTHONNOUSERSITE": "1", **overrides,
    })


@dataclass(frozen=True)
class Virtualenv:
    """A virtualenv of its own at `path`, made with ``python -m venv``."""

    path: Path

    @classmethod
    def create(cls, path: Path, timeout: float = 120) -> Virtualenv:
        """Make a new virtualenv at `path`, without our packages and without pip.

        Seeding pip (ensurepip) took longer than installing the project into it: pip runs from
        outside instead, pointed at the virtualenv's interpreter (``pip --python``, see `pip`).
        """
        result = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], env=clean_env(),
                                capture_output=True, text=True, timeout=timeout, check=False)
        assert result.returncode == 0, f"python -m venv failed:\n{result.stdout}\n{result.stderr}"
        return cls(path)

    def bin(self, name: str) -> str:
        """The path of the virtualenv's command `name`."""
        return str(self.path / "bin" / name)

    @property
    def python(self) -> str:
        return self.bin("python")

    def env(self, **overrides: str | None) -> dict[str, str]:
        """An environment for the virtualenv's commands, as an activated virtualenv would have it."""
        path = os.pathsep.join([str(self.path / "bin"), os.environ.get("PATH", os.defpath)])
        return clean_env(VIRTUAL_ENV=str(self.path), PATH=path, **overrides)

    def run(self, command: str, *args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        """Run the virtualenv's `command` with `args` in `cwd`; output captured as text."""
        return subprocess.run([self.bin(command), *args], cwd=cwd, env=env if env is not None else self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def pip(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run pip on the virtualenv (``pip --python``: pip runs under the virtualenv's interpreter)."""
        return subprocess.run([sys.executable, "-m", "pip", "--python", self.python, "--disable-pip-version-check",
                               *args], cwd=self.path, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def pip_install(self, *requirements: str, wheelhouse: Path | None = None, timeout: float = 300) -> None:
        """Install `requirements` with their dependencies, failing with pip's output.

        From `wheelhouse` alone when given (see `make_wheelhouse`), else from the package index.
        Not byte-compiled: a third of the install's time, and the tests import few of the modules
        (Python compiles each on its first import).
        """
        source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse is not None else []
        result = self.pip("install", "--no-compile", *source, *requirements, timeout=timeout)
        assert result.returncode == 0, f"pip install failed:\n{result.stdout}\n{result.stderr}"

    def site_packages(self) -> Path:
        """The virtualenv's site-packages folder."""
        folders = list(self.path.glob("lib/python3*/site-packages"))
        assert len(folders) == 1, folders
        return folders[0]
