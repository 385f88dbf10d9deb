"""docs/observability.md describes what exists: its modules, variables and commands."""

from __future__ import annotations

import re

from tests.support.processes import ROOT

DOC = (ROOT / "docs" / "observability.md").read_text()
PROJECT_VARIABLE = re.compile(r"\b(?:TRACING|CHIMERA|HEALTH|REQUEST_ID|GUNICORN|LOG)_[A-Z0-9_]*[A-Z0-9]\b")


def test_every_module_named_exists():
    paths = set(re.findall(r"`((?:observability|healthdash|chimera|bin|bench)/[\w/.]*)`", DOC))
    paths |= {f"{folder}/{name}" for folder, names in re.findall(r"`((?:observability|healthdash|chimera)[\w/]*)/"
                                                                  r"[\w.]+`((?: \+ `[\w.]+`)+)", DOC)
              for name in re.findall(r"`([\w.]+)`", names)}
    assert paths, "no module found: the pattern is out of date"
    missing = sorted(path for path in paths if not (ROOT / path.split(" ")[0]).exists())
    assert missing == []


def test_every_variable_named_is_in_the_template():
    template = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.template").read_text(), flags=re.MULTILINE))
    named = set(PROJECT_VARIABLE.findall(DOC))
    assert named and named - template == set()


def test_management_commands_named_exist():
    for command in set(re.findall(r"manage\.py (\w+)", DOC)):
        assert any(ROOT.glob(f"*/management/commands/{command}.py")), command
