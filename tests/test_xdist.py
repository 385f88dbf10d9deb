"""The suite runs in pytest-xdist's workers: the same test IDs in each, no Redis database shared.

Each xdist worker collects the suite itself and the run stops when two collections differ. A
parameter's value is part of its test's ID, so parameters (of ``parametrize`` or of a fixture's
``params``) must not come from random, time or process-bound sources, nor from iterating a set,
whose order of strings changes with each process's hash seed. The check reads the source instead
of collecting twice in subprocesses, which would cost as much as the collection itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support.processes import ROOT, project_env

# Calls whose result differs between two processes (by full dotted name after imports are followed).
PROCESS_BOUND_CALLS = {
    "uuid.uuid1", "uuid.uuid4", "os.getpid", "os.urandom", "id", "object", "hash", "time.time", "time.time_ns",
    "time.monotonic", "time.perf_counter", "datetime.datetime.now", "datetime.datetime.utcnow",
    "datetime.datetime.today", "datetime.date.today",
}
PROCESS_BOUND_MODULES = ("random.", "secrets.", "tempfile.")
UNORDERED_CALLS = {"set", "frozenset"}


def source_tree(module: str) -> ast.Module | None:
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    return ast.parse(path.read_text(), filename=str(path)) if path.is_file() else None


class Module:
    """The names a test module binds at its top level: what they import and what they are assigned."""

    def __init__(self, tree: ast.Module):
        self.imported: dict[str, str] = {}
        self.values: dict[str, list[ast.AST]] = {}
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:  # "import a.b" binds a; "import a.b as c" binds c to a.b
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    self.imported[alias.asname or bound] = bound
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                self.imported.update({alias.asname or alias.name: f"{node.module}.{alias.name}"
                                      for alias in node.names})
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.values.setdefault(name.id, []).append(node.value)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                self.values.setdefault(node.name, []).append(node)

    def dotted(self, node: ast.AST) -> str | None:
        """`node` (a name or attribute chain) as the full dotted name it refers to, imports followed."""
        if isinstance(node, ast.Attribute):
            owner = self.dotted(node.value)
            return owner and f"{owner}.{node.attr}"
        if isinstance(node, ast.Name):
            return self.imported.get(node.id, node.id)
        return None


def parameter_sources(tree: ast.Module) -> list[ast.AST]:
    """Argument values and IDs given to ``parametrize`` and the ``params``/``ids`` of fixtures."""
    sources = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name == "parametrize":
                sources += node.args[1:] + [k.value for k in node.keywords if k.arg in ("argvalues", "ids")]
            elif name == "fixture":
                sources += [k.value for k in node.keywords if k.arg in ("params", "ids")]
    return sources


def process_bound_parts(module_name: str, tree: ast.Module) -> list[str]:
    """What in the parameters of `tree` may differ between processes, each as "module:line: what"."""
    modules: dict[str, Module] = {module_name: Module(tree)}
    pending = [(module_name, source) for source in parameter_sources(tree)]
    seen: set[tuple[str, str]] = set()
    found: set[tuple[str, int, str]] = set()
    while pending:
        where, node = pending.pop()
        module = modules[where]
        for part in ast.walk(node):
            problem = None
            if isinstance(part, ast.Set | ast.SetComp):
                problem = "a set (its order depends on the hash seed)"
            elif isinstance(part, ast.Call) and (called := module.dotted(part.func)):
                if called in PROCESS_BOUND_CALLS or called.startswith(PROCESS_BOUND_MODULES):
                    problem = f"{called}()"
                elif called in UNORDERED_CALLS:
                    problem = f"{called}() (its order depends on the hash seed)"
            elif isinstance(part, ast.Name) and isinstance(part.ctx, ast.Load) and (part.id, where) not in seen:
                seen.add((part.id, where))
                pending += [(where, value) for value in module.values.get(part.id, [])]
                origin = module.imported.get(part.id, "")
                owner, _, imported_name = origin.rpartition(".")
                if owner.startswith("tests.") and owner not in modules and (other := source_tree(owner)):
                    modules[owner] = Module(other)
                if owner in modules:
                    pending.append((owner, ast.Name(imported_name, ast.Load())))
            if problem:
                found.add((where, part.lineno, problem))
    return [f"{where}:{line}: {problem}" for where, line, problem in sorted(found)]


def test_no_test_parameter_differs_between_processes():
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found += process_bound_parts(name, ast.parse(path.read_text(), filename=str(path)))
    assert found == []


def test_the_check_finds_values_made_in_each_process():
    source = '''
import uuid
from random import choice
from datetime import datetime
import pytest
from tests.observability.test_request_id import HOSTILE

VALID = ["a", str(uuid.uuid4())]
NAMES = {"b", "c"}

def cases():
    return [datetime.now()]

@pytest.mark.parametrize("value", VALID)
def test_a(value): ...

@pytest.mark.parametrize("value", list(NAMES) + HOSTILE, ids=lambda v: choice("xy"))
def test_b(value): ...

@pytest.fixture(params=cases())
def made(request): ...

@pytest.mark.parametrize("value", sorted(["a", "b"]), ids=["one", "two"])
def test_c(value): ...
'''
    assert process_bound_parts("tests.example", ast.parse(source)) == [
        "tests.example:8: uuid.uuid4()", "tests.example:9: a set (its order depends on the hash seed)",
        "tests.example:12: datetime.datetime.now()", "tests.example:17: random.choice()",
    ]


def redis_urls_of_worker(worker: str, url: str) -> list[str]:
    """The main and Celery Redis URLs the tests use in xdist worker `worker` (a process of its own)."""
    code = ("from tests.support import celery_worker, services; "
            f"print(services.redis_database_url({url!r})); print(celery_worker.celery_redis_url({url!r}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=project_env(PYTEST_XDIST_WORKER=worker),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_each_worker_has_redis_databases_of_its_own():
    url = "redis://:pw@127.0.0.1:6379/15"
    first, second = redis_urls_of_worker("gw0", url), redis_urls_of_worker("gw1", url)
    assert first == ["redis://:pw@127.0.0.1:6379/15", "redis://:pw@127.0.0.1:6379/11"]
    assert second == ["redis://:pw@127.0.0.1:6379/14", "redis://:pw@127.0.0.1:6379/10"]
