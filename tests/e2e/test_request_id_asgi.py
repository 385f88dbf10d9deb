"""Request IDs under a real ASGI server (uvicorn): concurrent requests keep their own IDs."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import ROOT, free_port, http_get, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def asgi_url(tmp_path_factory, migrated_db_url):
    port = free_port()
    log = open(tmp_path_factory.mktemp("uvicorn") / "uvicorn.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "chimera.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", DATABASE_URL=migrated_db_url),
        stdout=log, stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http_get(url + "/health", timeout=1)
                break
            except OSError:
                assert process.poll() is None, "uvicorn exited"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_concurrent_requests_keep_their_ids(asgi_url):
    def fetch(number: int):
        sleep = 0.3 if number % 2 else 0.01
        return http_get(f"{asgi_url}/concurrent?sleep={sleep}", headers={"X-Request-ID": f"asgi-{number}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(8)))
    for number, (status, headers, body) in enumerate(results):
        assert status == 200
        assert headers["x-request-id"] == f"asgi-{number}"
        assert body == f'{{"context": "asgi-{number}", "attribute": "asgi-{number}"}}'.encode()


@pytest.mark.parametrize(("path", "status"), [("/api/test/ok", 200), ("/api/test/boom", 500), ("/nowhere", 404)])
def test_every_response_carries_an_id(asgi_url, path, status):
    got, headers, _ = http_get(asgi_url + path, headers={"X-Request-ID": "asgi-kind"})
    assert (got, headers["x-request-id"]) == (status, "asgi-kind")
