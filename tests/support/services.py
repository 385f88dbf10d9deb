"""Access to the real services tests may use (PostgreSQL, Redis, Chromium).

A test that needs one skips when it is not configured on a developer's machine; in CI
(``CHIMERA_TEST_STRICT=1``) the same situation fails the test, so nothing is silently skipped.
"""

from __future__ import annotations

import os
import shutil

import pytest

STRICT = os.environ.get("CHIMERA_TEST_STRICT", "") not in ("", "0", "false")


def unavailable(reason: str):
    """Skip the calling test, or fail it in strict mode."""
    if STRICT:
        pytest.fail(f"{reason} (CHIMERA_TEST_STRICT is set, so this cannot skip)")
    pytest.skip(reason)


def service_url(variable: str) -> str:
    """The URL of a real service from `variable`, or skip/fail when it is not set."""
    url = os.environ.get(variable, "")
    if not url:
        unavailable(f"{variable} is not set")
    return url


def chromium_path() -> str:
    """Path of Debian's chromium, or skip/fail when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        unavailable("chromium is not installed (bin/test installs it when run as root)")
    return path
