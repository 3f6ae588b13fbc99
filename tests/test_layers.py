"""The kit's layers import in one direction, no module of it is in an import cycle, only the
layers that must touch Django import it, and `import kit` stays light.

Function-level imports count (only imports under `if TYPE_CHECKING:` are left out): a lazy
import upward is still an upward dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent / "kit"
# bootstrap/capture -> analysis -> explain -> profiles -> render -> magics and django -> the
# package's entry points. A layer may import only its own and lower ones.
ORDER = [
    "errors",
    "bootstrap",
    "capture",
    "analysis",
    "explain",
    "profiles",
    "render",
    "magics",
    "django",
    "entry",
]
# Top-level modules that are not a layer's folder: what Django, pytest and `import kit` load.
ENTRY_MODULES = {"__init__", "apps", "pytest_plugin"}
DJANGO_ALLOWED = {"bootstrap", "capture", "explain", "django"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(KIT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(KIT.rglob("*.py"))}


def layer_of_path(path: Path) -> str:
    first = path.relative_to(KIT).parts[0].removesuffix(".py")
    return "entry" if first in ENTRY_MODULES else first


def layer_of(module: str) -> str:
    return layer_of_path(MODULES[module])


def _type_only_nodes(tree: ast.AST) -> set[int]:
    return {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }


@cache
def imports(module: str) -> tuple[str, ...]:
    """What a module imports at run time, anywhere in it: every module name, kit's or not.

    `from P import n` imports P, and P.n too when that is a module of the kit.
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    type_only = _type_only_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append(base)
            found += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return tuple(dict.fromkeys(found))


def kit_imports(module: str) -> set[str]:
    return {name for name in imports(module) if name in MODULES and name != module}


def test_every_module_belongs_to_a_layer():
    assert {layer_of(m) for m in MODULES} <= set(ORDER)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_layer_imports_only_lower_layers_and_django_only_where_allowed(module: str):
    own = layer_of(module)
    for name in imports(module):
        if name.split(".")[0] == "django":
            assert own in DJANGO_ALLOWED, f"{module} imports {name}"
        if name in MODULES:
            target = layer_of(name)
            assert ORDER.index(target) <= ORDER.index(own), f"{module} imports {name}"


def import_cycles() -> list[list[str]]:
    """The kit's modules that import each other, directly or round about (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(kit_imports(node)):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    return cycles


def test_no_module_of_the_kit_is_in_an_import_cycle():
    assert import_cycles() == []


def test_the_cycle_check_finds_a_cycle(monkeypatch):
    """The check itself: a made-up import from capture.records back to capture.recorder."""
    real = kit_imports

    def with_cycle(module: str) -> set[str]:
        extra = {"kit.capture.recorder"} if module == "kit.capture.records" else set()
        return real(module) | extra

    monkeypatch.setitem(globals(), "kit_imports", with_cycle)
    assert ["kit.capture.recorder", "kit.capture.records"] in [
        [m for m in cycle if m.startswith("kit.capture.rec")] for cycle in import_cycles()
    ]


def test_import_kit_imports_nothing_heavy():
    """`import kit` (what Django does for "kit" in INSTALLED_APPS) loads no Django, pandas,
    plotly, IPython or sqlparse: each public name loads its module when first used."""
    code = (
        "import sys, kit\n"
        "heavy = ('django', 'pandas', 'plotly', 'IPython', 'sqlparse', 'kit.capture')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "kit.QueryRecord\n"
        "print('kit.capture' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True False"


def test_every_public_name_resolves():
    import kit

    for name in kit.__all__:
        assert getattr(kit, name) is not None, name
