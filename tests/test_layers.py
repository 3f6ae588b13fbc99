"""The kit's layers import in one direction, and only bootstrap, capture, explain import Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent / "kit"
# capture -> analysis -> explain -> render -> magic: a layer may import only lower ones.
ORDER = ["errors", "bootstrap", "capture", "analysis", "explain", "render", "api", "magic"]
DJANGO_ALLOWED = {"bootstrap", "capture", "explain"}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "kit" and len(parts) > 1 else None


def imports(path: Path) -> list[str]:
    """Modules a file imports at run time (imports under `if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
    return found


def own_layer(path: Path) -> str:
    return path.relative_to(KIT).parts[0].removesuffix(".py")


FILES = sorted(p for p in KIT.rglob("*.py") if own_layer(p) in ORDER)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(KIT)) for p in FILES])
def test_a_layer_imports_only_lower_layers_and_django_only_where_allowed(path: Path):
    own = own_layer(path)
    for module in imports(path):
        if module.split(".")[0] == "django":
            assert own in DJANGO_ALLOWED, f"{path.name} imports {module}"
        target = layer_of(module)
        if target in ORDER:
            assert ORDER.index(target) <= ORDER.index(own), f"{path.name} imports {module}"
