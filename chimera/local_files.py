"""The files on this machine that the settings read or make: ``.env``, and the embedded SQLite database."""

from __future__ import annotations

import os
from pathlib import Path

import environ

from chimera.env import ConfigurationError, Env


def private_sqlite_file(path: Path, *, folder_too: bool) -> None:
    """Make `path` (a SQLite database: password hashes, sessions) readable by its owner only.

    The file is created empty with mode 0600 when missing, so SQLite opens it as it is (its
    journal files follow the database's mode); an existing file is set to 0600. With
    `folder_too` (the project's own data/), the folder is made, or set, 0700 as well.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder_too:
        path.parent.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def read_env_file(env: Env, base_dir: Path) -> Path | None:
    """Load ``.env`` (or ``CHIMERA_ENV_FILE``; empty turns it off) without overriding the environment."""
    path = os.environ.get("CHIMERA_ENV_FILE")
    env.names_read.add("CHIMERA_ENV_FILE")
    if path is not None and path.strip() == "":
        return None
    env_file = Path(path) if path else base_dir / ".env"
    if not env_file.is_file():
        if path:
            raise ConfigurationError(f"CHIMERA_ENV_FILE names a file that does not exist: {path!r}.")
        return None
    environ.Env.read_env(env_file, overwrite=False)
    return env_file
