"""The README and the pages of docs/ name only what exists: files, modules, variables, commands and links."""

from __future__ import annotations

import importlib
import re
import subprocess
import tomllib
from collections import Counter

import pytest
import yaml
from django.core.management import get_commands

from healthdash.conf import VARIABLES as HEALTHDASH_VARIABLES
from healthdash.conf import DashboardSettings
from observability import pipeline
from observability.conf import VARIABLES as OBSERVABILITY_VARIABLES
from tests.support.processes import ROOT

PAGES = sorted(path.relative_to(ROOT).as_posix() for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCED = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FILE = re.compile(r"(?:observability|healthdash|chimera|bin|bench|tests|docs|\.ci)/[\w./-]*"
                  r"|[\w.-]+\.(?:py|txt|toml|template)")
DOTTED = re.compile(r"(?:observability|healthdash|chimera|bench|tests)(?:\.\w+)+")
CHECK_ID = re.compile(r"\w+\.[EW][\dx]+")  # observability.E010, chimera.E0xx
VARIABLE = re.compile(r"\b(?:(?:TRACING|METRICS|CHIMERA|HEALTH|REQUEST_ID|GUNICORN|LOG)_[A-Z0-9_]*[A-Z0-9]"
                      r"|SECRET_KEY|DEBUG|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|DATABASE_URL|CACHE_URL|STATIC_ROOT"
                      r"|WEB_CONCURRENCY)\b")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(page: str) -> str:
    return (ROOT / page).read_text()


def prose(page: str) -> str:
    """The page without its fenced code blocks."""
    return FENCED.sub("", read(page))


def code_spans(page: str) -> set[str]:
    """Inline code of the page, a call's parentheses dropped: `request_id_context()` -> request_id_context."""
    return {span.split("(")[0] for span in CODE_SPAN.findall(prose(page))}


def anchors(page: str) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    seen: Counter[str] = Counter()
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", prose(page), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return found


def resolves(dotted: str) -> bool:
    """Whether `dotted` is an importable module, or an attribute of the longest importable prefix."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        try:
            for name in parts[split:]:
                target = getattr(target, name)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("page", PAGES)
def test_every_file_named_exists(page):
    named = {span for span in code_spans(page) if FILE.fullmatch(span)}
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_python_path_named_imports(page):
    named = {span for span in code_spans(page) if DOTTED.fullmatch(span) and not CHECK_ID.fullmatch(span)}
    assert sorted(path for path in named if not resolves(path)) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_variable_named_is_in_the_template(page):
    template = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", read(".env.template"), flags=re.MULTILINE))
    for_the_tests = set(re.findall(r"^export ([A-Z][A-Z0-9_]*)=", read(".ci/run"), flags=re.MULTILINE))
    assert sorted(set(VARIABLE.findall(read(page))) - template - for_the_tests) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_management_command_named_exists(page):
    assert sorted(set(re.findall(r"manage\.py (\w+)", read(page))) - set(get_commands())) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_points_to_a_file_and_heading(page):
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (ROOT / page).parent.joinpath(path).resolve().relative_to(ROOT).as_posix() if path else page
        if not (ROOT / linked).exists() or anchor and anchor not in anchors(linked):
            broken.append(target)
    assert broken == []


# Each app's settings dict and the variables it reads under their own names. Another project reads
# its settings, not only its environment: a page that teaches a variable as the environment sets it
# (NAME=value) shows the dict's form too. The README and the pages on deploying and measuring
# chimera itself set chimera's environment, which its settings forward.
SETTINGS_DICTS = {
    "OBSERVABILITY": {variable.name for variable in OBSERVABILITY_VARIABLES if variable.name and variable.environment},
    "HEALTHDASH": {variable.name for variable in HEALTHDASH_VARIABLES if variable.name and variable.environment},
}
CHIMERA_PAGES = ("README.md", "docs/deployment.md", "docs/performance.md")


@pytest.mark.parametrize("page", [page for page in PAGES if page not in CHIMERA_PAGES])
def test_a_page_teaching_a_variable_shows_the_settings_dict_form(page):
    text = read(page)
    missing = []
    for dict_name, names in SETTINGS_DICTS.items():
        taught = sorted(name for name in names if re.search(rf"(?<![\w\[\"']){name}=", text))
        keyed = "|".join(map(re.escape, names))
        if taught and not re.search(rf'\b{dict_name} = \{{[^}}]*"(?:{keyed})"', text):
            missing.append(f"{dict_name} (the page teaches {', '.join(taught)})")
    assert missing == []


def test_the_pages_are_found():
    assert {"README.md", "docs/configuration.md", "docs/tracing.md", "docs/health.md", "docs/install.md"} <= set(PAGES)


# --- The probes' numbers keep the drain's promise ----------------------------------------------
# A balancer polling readiness must see it fail before the drain ends (else it routes to a server
# that refuses connections), and Kubernetes must not SIGKILL before the drain and the graceful stop.


def test_the_kubernetes_manifest_stops_routing_within_the_drain_and_kills_only_after_the_stop():
    [manifest] = [block for block in FENCED.findall(read("docs/deployment.md"))
                  if "terminationGracePeriodSeconds" in block]
    spec = yaml.safe_load(manifest.split("\n", 1)[1].rsplit("```", 1)[0])["spec"]
    [container] = spec["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    readiness = container["readinessProbe"]
    drain, graceful = float(env["HEALTH_DRAIN_SECONDS"]), float(env["GUNICORN_GRACEFUL_TIMEOUT"])
    assert readiness["periodSeconds"] * readiness["failureThreshold"] < drain
    assert spec["terminationGracePeriodSeconds"] > drain + graceful


def test_the_probe_settings_table_fails_readiness_within_the_default_drain():
    row = next(line for line in read("docs/health.md").splitlines() if line.startswith("| readiness |"))
    _, _, period, _, failures, _ = (cell.strip() for cell in row.strip("|").split("|"))
    longest = max(float(number) for number in re.findall(r"\d+(?:\.\d+)?", period)) * int(failures.split()[0])
    assert longest < DashboardSettings().drain_seconds, row


# --- The install guide: the public lines, and nothing a wheel does not hold ---------------------

INSTALL = read("docs/install.md")
PUBLIC_LINES = '''INSTALLED_APPS = [
    "healthdash.admin_site.HealthAdminConfig",  # in place of "django.contrib.admin"
    # ... the project's own apps ...
    "rest_framework",
    "observability",
    "healthdash",
]
MIDDLEWARE = [
'''
PUBLIC_URLS = '''urlpatterns = [
    path("", include("healthdash.urls")),  # /health, /health/ready, the dashboard's JSON
    path("", include("observability.urls")),  # /metrics, /api/v1/requests (the journal)
'''


def test_install_guide_shows_the_public_lines():
    assert PUBLIC_LINES in INSTALL
    assert PUBLIC_URLS in INSTALL


def test_install_guide_lists_every_observability_middleware_in_the_pipeline_s_order():
    block = re.search(r"^MIDDLEWARE = \[\n(.*?)^\]", INSTALL, flags=re.MULTILINE | re.DOTALL).group(1)
    listed = re.findall(r'^    "(observability\.[\w.]+)",$', block, flags=re.MULTILINE)
    assert listed == list(pipeline.ORDER)


def test_install_guide_names_only_what_the_wheel_holds():
    # System check IDs (observability.W043) are names of messages, not of code.
    names = set(re.findall(r"\b(?:observability|healthdash)(?:\.\w+)+", INSTALL)) - set(
        re.findall(r"\b(?:observability|healthdash)\.[EW]\d{3}\b", INSTALL))
    assert "observability.gunicorn" in names, "no name found: the pattern is out of date"
    assert sorted(name for name in names if not resolves(name)) == []
    assert re.findall(r"\bchimera[./]\w+", INSTALL) == []


def test_install_guide_has_a_pip_install_line_per_extra():
    extras = tomllib.loads(read("pyproject.toml"))["project"]["optional-dependencies"]
    lines = re.findall(r'^python -m pip install "django-chimera-observability\[(\w+)\]"', INSTALL, flags=re.MULTILINE)
    assert sorted(lines) == sorted(extras)  # one line each, none for an extra pyproject.toml does not declare


def test_install_guide_commands_come_with_django_or_the_apps():
    commands = get_commands()
    for command in set(re.findall(r"manage\.py (\w+)", INSTALL)):
        assert commands.get(command, "").startswith(("django.", "observability", "healthdash")), command


def test_no_file_keeps_a_merge_conflict_marker():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marked = [name for name in tracked if (ROOT / name).is_file() and (ROOT / name).suffix in TEXT_SUFFIXES
              and re.search(r"^(<{7} |>{7} |={7}$)", (ROOT / name).read_text(errors="replace"), flags=re.MULTILINE)]
    assert marked == []


TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".yml", ".yaml", ".html", ".js", ".css", ".conf", ".json", ".cfg"}
