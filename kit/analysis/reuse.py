"""Whether a queryset's rows are used after `if qs:` / `len(qs)` loaded them: then the one
query did the work of two, and .exists() / .count() would add a query, not save one."""

from __future__ import annotations

import ast
from functools import lru_cache

__all__ = ["rows_used_after"]

# Calls that read every row of the queryset they are given.
_READERS = frozenset({"list", "tuple", "set", "sorted", "dict", "enumerate", "zip", "iter"})


@lru_cache(maxsize=64)
def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def rows_used_after(text: str | None, line: int | None, name: str | None) -> bool:
    """True when the code around `line` reads the rows of the queryset named `name` later:
    iterates it (a for loop or a comprehension), indexes it, or passes it to list() and the
    like. The scope is the function around the line, else the whole file (a cell)."""
    if not text or line is None or not name or not name.isidentifier():
        return False
    tree = _parse(text)
    if tree is None:
        return False
    scope: ast.AST = tree
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.lineno <= line <= (node.end_lineno or node.lineno)
            and node.lineno > getattr(scope, "lineno", 0)
        ):
            scope = node
    return any(
        getattr(node, "lineno", 0) >= line and _reads(node, name) for node in ast.walk(scope)
    )


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _reads(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.For | ast.AsyncFor):
        return _is(node.iter, name)
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        return any(_is(generator.iter, name) for generator in node.generators)
    if isinstance(node, ast.Subscript):
        return _is(node.value, name)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in _READERS and any(_is(a, name) for a in node.args)
    return False
