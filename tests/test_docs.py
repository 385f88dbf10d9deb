"""docs/ describes what exists: its modules, variables and commands."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.management import get_commands
from django.utils.module_loading import import_string

from tests.support.processes import ROOT

DOC = (ROOT / "docs" / "observability.md").read_text()
INSTALL = (ROOT / "docs" / "install.md").read_text()
# The lines a project adds to use the apps: public, so the guide shows them exactly.
PUBLIC_LINES = '''INSTALLED_APPS = [
    "healthdash.admin_site.HealthAdminConfig",  # in place of "django.contrib.admin"
    # ... the project's own apps ...
    "rest_framework",
    "observability",
    "healthdash",
]
MIDDLEWARE = ["observability.middleware.RequestIDMiddleware", ...]  # first
'''
PUBLIC_URLS = 'urlpatterns = [path("", include("healthdash.urls")), ...]'
PROJECT_VARIABLE = re.compile(r"\b(?:TRACING|CHIMERA|HEALTH|REQUEST_ID|GUNICORN|LOG)_[A-Z0-9_]*[A-Z0-9]\b")


def test_every_module_named_exists():
    paths = set(re.findall(r"`((?:observability|healthdash|chimera|bin|bench)/[\w/.]*)`", DOC))
    paths |= {f"{folder}/{name}" for folder, names in re.findall(r"`((?:observability|healthdash|chimera)[\w/]*)/"
                                                                  r"[\w.]+`((?: \+ `[\w.]+`)+)", DOC)
              for name in re.findall(r"`([\w.]+)`", names)}
    assert paths, "no module found: the pattern is out of date"
    missing = sorted(path for path in paths if not (ROOT / path.split(" ")[0]).exists())
    assert missing == []


@pytest.mark.parametrize("doc", [DOC, INSTALL], ids=["observability.md", "install.md"])
def test_every_variable_named_is_in_the_template(doc):
    template = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.template").read_text(), flags=re.MULTILINE))
    named = set(PROJECT_VARIABLE.findall(doc))
    assert named and named - template == set()


def test_management_commands_named_exist():
    for command in set(re.findall(r"manage\.py (\w+)", DOC)):
        assert any(ROOT.glob(f"*/management/commands/{command}.py")), command


def test_install_guide_shows_the_public_lines():
    assert PUBLIC_LINES in INSTALL
    assert PUBLIC_URLS in INSTALL


def test_install_guide_names_only_what_the_apps_have():
    names = set(re.findall(r"\b(?:observability|healthdash)(?:\.\w+)+", INSTALL))
    assert "observability.gunicorn" in names, "no name found: the pattern is out of date"
    assert sorted(name for name in names if not importable(name)) == []
    # The wheel holds the two apps only: the guide cannot send users to the project's modules.
    assert re.findall(r"\bchimera[./]\w+", INSTALL) == []


def test_install_guide_commands_come_with_django_or_the_apps():
    commands = get_commands()
    for command in set(re.findall(r"manage\.py (\w+)", INSTALL)):
        assert commands.get(command, "").startswith(("django.", "observability", "healthdash")), command


def importable(name: str) -> bool:
    """Whether `name` is a module, or an attribute of one."""
    try:
        importlib.import_module(name)
    except ImportError:
        try:
            import_string(name)
        except ImportError:
            return False
    return True
