"""The architecture stays easy to see: app boundaries, no import cycles, small modules, lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

APPS = ("observability", "healthdash", "chimera")
# Who may import whom: observability is the base, healthdash builds on it, chimera on both.
MAY_IMPORT = {"observability": {"observability"}, "healthdash": {"observability", "healthdash"},
              "chimera": set(APPS)}
MAX_MODULE_LINES = 250


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for app in APPS for path in sorted((ROOT / app).rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """Project modules `path` imports, at module level or inside functions (`from a import b`: a.b if a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                         for alias in node.names)
    return {name for name in names if name.split(".")[0] in APPS}


def test_apps_import_only_downwards():
    offenders = {
        name: sorted(m for m in imported_modules(path) if m.split(".")[0] not in MAY_IMPORT[name.split(".")[0]])
        for name, path in MODULES.items()
    }
    assert {name: modules for name, modules in offenders.items() if modules} == {}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_modules():
    graph = {name: {m for m in imported_modules(path) if m in MODULES and m != name} for name, path in MODULES.items()}
    assert find_cycle(graph) is None


def package_of(module: str) -> str:
    """The node of `module` in the package graph: a subpackage as one node, a top-level module as itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle_between_packages():
    """Subpackages (observability.tracing, observability.metrics, ...) import each other one way only,
    counting the imports made inside functions, which the module graph above cannot see as a loop."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph.setdefault(package_of(name), set()).update(
            package_of(m) for m in imported_modules(path) if m in MODULES and package_of(m) != package_of(name))
    assert find_cycle(graph) is None


def test_every_package_has_an_init():
    missing = sorted(str(path.parent.relative_to(ROOT)) for app in APPS for path in (ROOT / app).rglob("*.py")
                     if not (path.parent / "__init__.py").exists())
    assert missing == []


def declared_public(module: str) -> set[str] | None:
    """The names `module` declares public in its ``__all__``, or None when it declares none."""
    path = MODULES.get(module) or SUPPORT.get(module)
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return None


SUPPORT = {module_name(path): path for path in sorted((ROOT / "tests" / "support").rglob("*.py"))}
IMPORTERS = {**MODULES,
             **{f"bench.{path.stem}": path for path in sorted((ROOT / "bench").glob("*.py"))}}


def imports_across(importer: str, path: Path) -> list[tuple[str, str]]:
    """(module, name) of each name `importer` takes from another app's module (any app's, for bench):
    imported by name, or read as an attribute of that module imported whole (``from a import b``, ``b.name``)."""
    tree = ast.parse(path.read_text())
    found, modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update({alias.asname: alias.name for alias in node.names
                            if alias.asname and across(importer, alias.name)})
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and across(importer, node.module)):
            continue
        found += [(node.module, alias.name) for alias in node.names
                  if alias.name != "*" and f"{node.module}.{alias.name}" not in {**MODULES, **SUPPORT}]
        modules.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names
                        if f"{node.module}.{alias.name}" in {**MODULES, **SUPPORT}})
    found += [(modules[node.value.id], node.attr) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules]
    return found


def across(importer: str, module: str) -> bool:
    """Whether `module` belongs to another app than `importer` (or to the tests' support, for bench)."""
    home = module.split(".")[0]
    return home in (*APPS, "tests") and home != importer.split(".")[0]


def test_apps_and_benchmarks_import_only_public_names_across_apps():
    """A name taken from another app (or by bench/) is in its module's __all__: the surface is declared."""
    private = sorted(f"{importer}: {module}.{name}" for importer, path in IMPORTERS.items()
                     for module, name in imports_across(importer, path)
                     if name.startswith("_") or name not in (declared_public(module) or ()))
    assert private == []


def test_the_surface_check_sees_a_name_outside_all(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("from observability.api_keys import BEARER, is_authorized\n"
                      "from healthdash.registry import service_registry\n"
                      "from observability import redaction\n"
                      "import observability.proxies as proxies\n"
                      "redaction.BROKER_SETTINGS, proxies.parse_trusted_proxies\n")
    taken = imports_across("healthdash.probe", module)
    assert ("observability.api_keys", "BEARER") in taken and ("observability.api_keys", "is_authorized") in taken
    assert ("healthdash.registry", "service_registry") not in taken  # the importer's own app
    # A module imported whole: each of its names read is taken from it as an import by name would be.
    assert ("observability.redaction", "BROKER_SETTINGS") in taken
    assert ("observability.proxies", "parse_trusted_proxies") in taken
    public = declared_public("observability.api_keys")
    assert "is_authorized" in public and "BEARER" not in public


def test_the_package_graph_counts_imports_inside_functions(tmp_path):
    module = tmp_path / "exporters.py"
    module.write_text("def count():\n    from observability.metrics import instruments\n"
                      "    import observability.journal.writer\n")
    assert imported_modules(module) == {"observability.metrics.instruments", "observability.journal.writer"}
    assert {package_of(name) for name in imported_modules(module)} == {"observability.metrics", "observability.journal"}


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def test_no_app_module_is_over_250_lines():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: size for name, size in sizes.items() if size > MAX_MODULE_LINES} == {}


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True, cwd=ROOT,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_version_supported():
    assert sys.version_info >= (3, 11)
