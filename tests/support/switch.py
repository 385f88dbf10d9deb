"""Health checks that a test switches from outside the server: each reads its status from a file.

A test settings module registers them through ``HEALTHDASH["SERVICES"]`` and names the folder
of the files in ``HEALTH_SWITCH_DIR`` (from the environment variable of the same name); the
test writes ``up``, ``degraded`` or ``down`` into ``<folder>/<service>``, and every server
process sees it at its next run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from healthdash.status import CheckResult

DOWN_REASON = "switched off by the test"


def write_status(path: Path, status: str) -> None:
    """Switch the service whose file is `path` to `status` (atomically: a check never reads half a file)."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(status)
    scratch.replace(path)


def switched(name: str) -> Callable[[], CheckResult]:
    """A check reporting the status written in ``HEALTH_SWITCH_DIR/<name>``: down raises, as a failing check does."""
    def check() -> CheckResult:
        status = (Path(settings.HEALTH_SWITCH_DIR) / name).read_text().strip()
        if status == "down":
            raise ConnectionError(DOWN_REASON)
        if status == "degraded":
            return CheckResult.degraded("slowed down by the test")
        return CheckResult.up()
    check.__name__ = check.__qualname__ = name
    return check


search_index = switched("search_index")
payments = switched("payments")
