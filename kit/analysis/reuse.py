"""Whether a queryset's rows are used after `if qs:` / `len(qs)` loaded them: then the one
query did the work of two, and .exists() / .count() would add a query, not save one."""

from __future__ import annotations

import ast

from kit.analysis.pysource import parse_source

__all__ = ["loops_over_rows", "loops_over_rows_at", "rows_used_after"]

# Calls that read every row of the queryset they are given.
_READERS = frozenset({"list", "tuple", "set", "sorted", "dict", "enumerate", "zip", "iter"})


def rows_used_after(text: str | None, line: int | None, name: str | None) -> bool:
    """True when the code around `line` reads the rows of the queryset named `name` later:
    iterates it (a for loop or a comprehension), indexes it, or passes it to list() and the
    like. The scope is the function around the line, else the whole file (a cell)."""
    if not text or line is None or not name or not name.isidentifier():
        return False
    tree = parse_source(text)
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


_LOOPS = (ast.For, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def loops_over_rows(line: str | None) -> bool:
    """True when the line loops over what it evaluates: a `for` statement or a comprehension.

    Rows a line loops over are used there and then; rows it stores (`x = list(qs)`) or
    returns may be read later, outside what the block saw.
    """
    if not line:
        return False
    text = line.strip()
    if text.startswith(("for ", "async for ")) and " in " in text:
        return True  # a for statement, or the `for` clause of a comprehension on its own line
    for source in (text, text + "\n    pass"):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        return any(isinstance(node, _LOOPS) for node in ast.walk(tree))
    return False


def loops_over_rows_at(text: str | None, line: int | None, line_text: str | None) -> bool:
    """loops_over_rows() for the whole statement that starts at `line` of the source text (a
    statement may span lines: `rows = [` then its comprehension); line_text alone without it."""
    tree = parse_source(text) if text and line is not None else None
    if tree is None:
        return loops_over_rows(line_text)
    starting = [
        node for node in ast.walk(tree) if isinstance(node, ast.stmt) and node.lineno == line
    ]
    if not starting:
        return loops_over_rows(line_text)
    statement = starting[-1]  # the innermost statement that starts there
    if isinstance(statement, ast.For | ast.AsyncFor):
        return True
    return any(isinstance(node, _LOOPS) for node in ast.walk(statement))
