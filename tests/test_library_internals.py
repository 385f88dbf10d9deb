"""Libraries' internals stay in one compatibility module per library.

A library's private name (an underscored attribute, a module global it reads, a class the apps
patch) may change in any release without notice. Each one the apps rely on is reached only
through the library's compatibility module, next to a test that pins it in the installed
version, so an upgrade fails in the suite, by name. This scan walks every module of the apps,
the benchmarks (they compare with the official middleware and swap the global tracer provider,
through the same modules) and ``gunicorn.conf.py``, and reports any other reach into an object
that is not ``self``/``cls``: the project's own objects too, whose private names become public
ones when another module needs them.
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import re
from pathlib import Path

from tests.support.processes import ROOT

SCANNED = sorted(path for top in ("observability", "healthdash", "chimera", "bench")
                 for path in (ROOT / top).rglob("*.py")) + [ROOT / "gunicorn.conf.py"]
# OpenTelemetry's module stays beside the tracing that needs it; the others are in observability/compat/.
COMPATIBILITY_MODULES = {ROOT / "observability" / "tracing" / "sdk.py",
                         *(ROOT / "observability" / "compat").glob("*.py")}
PROJECT_PACKAGES = {"observability", "healthdash", "chimera", "bench", "tests"}
# Underscored, but documented as public.
ALLOWED_EXPRESSIONS = {
    "os._exit": "the documented way for a forked child to end without its parent's exit handlers",
    "sys._getframe": "documented in the sys module",
}
ALLOWED_ATTRIBUTES = {
    "_replace": "namedtuple's public method, underscored so that it cannot clash with a field",
    "_asdict": "namedtuple's public method, underscored so that it cannot clash with a field",
    "_fields": "namedtuple's public attribute, underscored so that it cannot clash with a field",
    "_make": "namedtuple's public class method, underscored so that it cannot clash with a field",
}
ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}
DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_own(node: ast.expr) -> bool:
    """Whether `node` is ``self``, ``cls`` or ``super()``: private names of one's own object are fine."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "super"
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


@functools.cache
def package_folders(name: str) -> tuple[Path, ...] | None:
    """The folders of module `name` (none for a plain module; None: no such module), found on the
    path without importing anything (a package's ``__init__`` may need settings) nor trusting
    ``sys.modules`` (tests put stand-ins there)."""
    parent, _, child = name.rpartition(".")
    if not parent:
        spec = importlib.machinery.PathFinder.find_spec(name) or importlib.machinery.BuiltinImporter.find_spec(name)
        return None if spec is None else tuple(Path(folder) for folder in spec.submodule_search_locations or ())
    folders = package_folders(parent)
    if not folders:
        return None
    if subpackages := tuple(folder / child for folder in folders if (folder / child).is_dir()):
        return subpackages
    return () if any((folder / f"{child}.py").is_file() or next(folder.glob(f"{child}.*.so"), None)
                     for folder in folders) else None


def is_module(name: str) -> bool:
    return package_folders(name) is not None


def names_a_library(path: str) -> bool:
    top = path.split(".")[0]
    return top not in PROJECT_PACKAGES and is_module(top)


class InternalAccesses(ast.NodeVisitor):
    """Reaches into other objects' private names, other modules' globals and libraries' private modules."""

    def __init__(self, tree: ast.Module) -> None:
        self.found: list[str] = []
        # Module-level string constants, so that getattr(x, NAME) is read like getattr(x, "_name").
        self.constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                          for target in node.targets if isinstance(target, ast.Name)
                          and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
        self.modules = set()  # names bound to modules: import a.b (a, a.b), import a as b, from a import module
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    self.modules.update([alias.asname] if alias.asname else
                                        (".".join(parts[:i]) for i in range(1, len(parts) + 1)))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                self.modules.update(alias.asname or alias.name for alias in node.names
                                    if is_module(f"{node.module}.{alias.name}"))

    def report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"line {node.lineno}: {what}")

    def name_of(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return self.constants.get(node.id) if isinstance(node, ast.Name) else None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        expression = ast.unparse(node)
        if (is_private(node.attr) and not is_own(node.value) and expression not in ALLOWED_EXPRESSIONS
                and node.attr not in ALLOWED_ATTRIBUTES):
            self.report(node, expression)
        elif not isinstance(node.ctx, ast.Load) and dotted(node.value) in self.modules:
            self.report(node, f"{expression} (another module's global)")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function, args = node.func, node.args
        if isinstance(function, ast.Attribute) and function.attr in ("__setattr__", "__delattr__", "__getattribute__"):
            function = ast.Name(function.attr.strip("_").replace("getattribute", "getattr"))
        if isinstance(function, ast.Name) and function.id in ATTRIBUTE_FUNCTIONS and len(args) >= 2:
            self.attribute_function(node, function.id, args[0], args[1])
        elif isinstance(function, ast.Attribute) and function.attr in ("get", "pop", "setdefault") and args:
            self.namespace_key(node, function.value, args[0])
        self.generic_visit(node)

    def attribute_function(self, node: ast.Call, function: str, target: ast.expr, name_node: ast.expr) -> None:
        name = self.name_of(name_node)
        if name is None and function in ("setattr", "delattr"):
            self.report(node, f"{ast.unparse(node)} (an attribute name the scan cannot read: a patch?)")
        elif name is not None and is_private(name) and not is_own(target):
            self.report(node, ast.unparse(node))
        elif function in ("setattr", "delattr") and dotted(target) in self.modules:
            self.report(node, f"{ast.unparse(node)} (another module's global)")

    def namespace_key(self, node: ast.AST, namespace: ast.expr, key: ast.expr) -> None:
        """``x.__dict__["_name"]``, ``vars(x).get("_name")``, ``"_name" in x.__dict__``."""
        if isinstance(namespace, ast.Attribute) and namespace.attr == "__dict__":
            owner = namespace.value
        elif isinstance(namespace, ast.Call) and isinstance(namespace.func, ast.Name) and namespace.func.id == "vars":
            owner = namespace.args[0] if namespace.args else ast.Name("self")
        else:
            return
        name = self.name_of(key)
        if name is not None and is_private(name) and not is_own(owner):
            self.report(node, ast.unparse(node))

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.namespace_key(node, node.value, node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            self.namespace_key(node, node.comparators[0], node.left)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if any(is_private(part) for part in alias.name.split(".")) and names_a_library(alias.name):
                self.report(node, f"import {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0 and names_a_library(node.module):
            for alias in node.names:
                if any(is_private(part) for part in [*node.module.split("."), alias.name]):
                    self.report(node, f"from {node.module} import {alias.name}")

    def visit_Constant(self, node: ast.Constant) -> None:
        """A dotted path to a library's private object, as ``MIDDLEWARE`` or ``import_string()`` takes it."""
        value = node.value
        if (isinstance(value, str) and DOTTED_PATH.fullmatch(value) and value not in ALLOWED_EXPRESSIONS
                and any(is_private(part) for part in value.split(".")) and names_a_library(value)):
            self.report(node, repr(value))


def internal_accesses(source: str) -> list[str]:
    tree = ast.parse(source)
    scan = InternalAccesses(tree)
    scan.visit(tree)
    return scan.found


def test_only_the_compatibility_modules_reach_into_libraries_and_other_objects():
    found = {str(path.relative_to(ROOT)): internal_accesses(path.read_text())
             for path in SCANNED if path not in COMPATIBILITY_MODULES}
    assert {path: accesses for path, accesses in found.items() if accesses} == {}


def test_the_compatibility_modules_exist():
    assert all(path.is_file() for path in COMPATIBILITY_MODULES)
    assert {path.name for path in COMPATIBILITY_MODULES} >= {"sdk.py", "django.py", "prometheus.py"}


def test_every_compatibility_function_names_the_versions_it_was_written_against():
    undated = [f"{path.name}: {node.name}" for path in COMPATIBILITY_MODULES
               for node in ast.parse(path.read_text()).body
               if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
               and not re.search(r"\d+\.\d+", ast.get_docstring(node) or "")]
    assert undated == []


def test_the_scan_finds_each_kind_of_reach():
    source = '''
import os
import opentelemetry.trace
from opentelemetry import trace
from prometheus_client import values
from opentelemetry.util._once import Once
from opentelemetry.instrumentation import _semconv
FLAG = "_multiprocess"
response._resource_closers.append(closer)
self.client._pools.clear()
getattr(values.ValueClass, FLAG, False)
setattr(task.request, "_tokens", None)
client = cache.__dict__.get("_cache")
pools = vars(client)["_pools"]
assert "_cache" in cache.__dict__
values.ValueClass = values.MultiProcessValue()
opentelemetry.trace.PROVIDER = None
setattr(trace, "PROVIDER", None)
setattr(backend, name, wrapper)
object.__setattr__(config, "_parsed", None)
MIDDLEWARE = ["opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"]
'''
    assert internal_accesses(source) == [
        "line 6: from opentelemetry.util._once import Once",
        "line 7: from opentelemetry.instrumentation import _semconv",
        "line 9: response._resource_closers",
        "line 10: self.client._pools",
        "line 11: getattr(values.ValueClass, FLAG, False)",
        "line 12: setattr(task.request, '_tokens', None)",
        "line 13: cache.__dict__.get('_cache')",
        "line 14: vars(client)['_pools']",
        "line 15: '_cache' in cache.__dict__",
        "line 16: values.ValueClass (another module's global)",
        "line 17: opentelemetry.trace.PROVIDER (another module's global)",
        "line 18: setattr(trace, 'PROVIDER', None) (another module's global)",
        "line 19: setattr(backend, name, wrapper) (an attribute name the scan cannot read: a patch?)",
        "line 20: object.__setattr__(config, '_parsed', None)",
        "line 21: 'opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware'",
    ]


def test_the_scan_lets_own_public_and_documented_names_be():
    source = '''
import os
from django.conf import settings
from observability import _private_helpers
NAME = "observability_tokens"
self._lock = threading.Lock()
cls._instances.clear()
super()._setup()
point._replace(x=1)
os._exit(0)
settings.MIDDLEWARE = []
request.__dict__.get("observability_server_span")
setattr(request, NAME, None)
self.__dict__["_cache"] = None
getattr(signals, signal).connect(receiver)
logger = logging.getLogger("django.request")
'''
    assert internal_accesses(source) == []
