"""Regenerate health-page.png: the admin health page as a staff user sees it, all services up.

Run from the project's root: ``.venv/bin/python docs/images/health_page.py``. It serves the
project with gunicorn on 127.0.0.1 from a temporary SQLite database, tracing to a local OTLP
receiver, and photographs the page in headless Chromium (the test suite's helpers throughout).
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).with_name("health-page.png")
API_KEY = "docs-screenshot-key-0123456789"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="health-page-") as folder:
        photograph(Path(folder))


def photograph(tmp: Path) -> None:
    """Set up a database in `tmp`, serve it, and save the page to OUTPUT."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import STAFF_PASSWORD, STAFF_USER, log_in
    from tests.support.browser import launch
    from tests.support.processes import Gunicorn, http_get, project_env, run_manage
    from tests.support.receivers import OTLPHttpReceiver

    env = project_env(DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", STATIC_ROOT=str(tmp / "static"),
                      DJANGO_SUPERUSER_PASSWORD=STAFF_PASSWORD, CHIMERA_API_KEYS=API_KEY, WEB_CONCURRENCY="1")
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"],
                 ["createsuperuser", "--noinput", "--username", STAFF_USER, "--email", "staff@example.com"]):
        result = run_manage(*args, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
    receiver = OTLPHttpReceiver()  # a collector that accepts every span, so the page shows exports
    env.update(TRACING_ENABLED="true", TRACING_EXPORTER="otlp_http", TRACING_ENDPOINT=receiver.endpoint,
               OTEL_BSP_SCHEDULE_DELAY="200")
    with Gunicorn(env=env, log_dir=tmp / "gunicorn") as server:
        for _ in range(24):  # a latency history for the sparklines
            http_get(server.url + "/api/v1/health/dashboard?refresh=1", headers={"X-API-Key": API_KEY})
            time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = launch(playwright, "/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            log_in(page, server, "/admin/health/")
            page.goto(server.url + "/admin/health/?refresh=1")
            page.screenshot(path=str(OUTPUT))
            browser.close()
    receiver.stop()


if __name__ == "__main__":
    main()
