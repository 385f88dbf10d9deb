"""The red-team script (tests/redteam.py) runs at its smallest scale and prints every case's figures.

It asserts nothing about the service itself (its figures are for docs/deployment.md); this keeps
the script from rotting as the project changes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.redteam import CASES
from tests.support.processes import ROOT, project_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_smallest_run_prints_each_case_with_its_figures():
    result = subprocess.run([sys.executable, "-m", "tests.redteam", "--quick"], cwd=ROOT, env=project_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    blocks = result.stdout.split("== ")[1:]
    assert [block.split(" (")[0] for block in blocks] == list(CASES)
    figures = {block.split(" (")[0]: block.splitlines()[1:] for block in blocks}
    assert any("/health (failed: not 200 within 1 s): " in line for line in figures["slow-clients"])
    assert any("files in the metrics folder: " in line for line in figures["dead-worker-files"])
    assert any(line.strip().startswith(("async generate, broker frozen", "skipped"))
               for line in figures["frozen-broker"])
