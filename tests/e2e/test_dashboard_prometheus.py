"""The generated dashboard against a real Prometheus that scraped gunicorn under mixed traffic.

Prometheus loads the generated rules (evaluated every second) and scrapes every second while
requests go on: good, 4xx, 5xx, provider calls and health runs. Every panel's query, with the
dashboard's variables filled in as Grafana would, must return at least one series, including
those of things that have not happened (spans dropped, services down): the traffic goes on until
they all do, or for at most TRAFFIC_SECONDS.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command

from tests.support.processes import Gunicorn, http_get, project_env
from tests.support.prometheus import PrometheusServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "dashboard-scrape-key-0123456789abcdef"
# Enough for every series on a busy machine; on a quiet one they all have values after a few seconds.
TRAFFIC_SECONDS = 60
SLOS = ["name=api,objective=99.9,routes=^/api/.*", "name=fast,objective=99,latency=0.25"]
# What Grafana puts in place of the dashboard's variables: this job, every instance, a rate window.
FILLED = {"$job": "chimera", "$instance": ".*", "$__rate_interval": "1m"}


def post_generate(url: str) -> int:
    request = urllib.request.Request(url + "/api/v1/generate", data=b'{"prompt": "hello"}', method="POST",
                                     headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def mixed_traffic(server: Gunicorn, seconds: float) -> set[int]:
    statuses = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/ok", "/ok", "/api/test/ok", "/boom", "/missing", "/api/v1/health/dashboard"):
            statuses.add(http_get(server.url + path, headers={"Connection": "close"})[0])
        statuses.add(post_generate(server.url))
        time.sleep(0.1)
    return statuses


def filled(expr: str) -> str:
    return re.sub(r"\$__rate_interval|\$job|\$instance", lambda match: FILLED[match.group(0)], expr)


def test_every_panel_query_returns_a_series(tmp_path):
    call_command("observability_rules", "--out", str(tmp_path / "rules"),
                 *[arg for spec in SLOS for arg in ("--slo", spec)])
    dashboard = json.loads((tmp_path / "rules" / "dashboard.json").read_text())
    assert dashboard["schemaVersion"] >= 36
    assert {"job", "instance"} <= {variable["name"] for variable in dashboard["templating"]["list"]}
    queries = {(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]}
    titles = {title for title, _ in queries}
    assert {"Request rate per route", "SLO burn rate", "Health status per service", "Spans exported and dropped",
            "Provider calls by outcome", "Maintenance and draining"} <= titles

    env = project_env(DJANGO_SETTINGS_MODULE="tests.e2e.settings", WEB_CONCURRENCY="2", CHIMERA_API_KEYS=KEY,
                      CHIMERA_THROTTLE_RATE="100000/min")
    with Gunicorn(env=env, log_dir=tmp_path / "gunicorn") as server:
        prometheus = PrometheusServer(f"127.0.0.1:{server.port}", KEY, tmp_path / "prometheus",
                                      rule_files=[tmp_path / "rules" / "alerts.yml", tmp_path / "rules" / "slos.yml"])
        try:
            statuses, deadline = set(), time.monotonic() + TRAFFIC_SECONDS
            while True:
                statuses |= mixed_traffic(server, 1)
                empty = [(title, filled(expr)) for title, expr in sorted(queries)
                         if not prometheus.query(filled(expr))]
                if not empty or time.monotonic() > deadline:
                    break
            assert {200, 404, 500} <= statuses and 429 not in statuses
            assert empty == [], prometheus.targets()
        finally:
            prometheus.stop()
