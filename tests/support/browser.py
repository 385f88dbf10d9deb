"""Headless Chromium (Debian's package) driven by Playwright, for browser tests.

Playwright's own browser download does not work on a closed network: it drives the system's
chromium through ``executable_path``. The flags keep Chromium from calling out to Google's
services, which a closed network refuses and which would only slow the tests down.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import ROOT

ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def launch(playwright, executable: str):
    """A headless Chromium browser."""
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def screenshot_path(name: str) -> Path:
    """Where a test saves a screenshot (``artifacts/``, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
