"""A cell's syntax tree with root querysets replaced by their fixes (%%orm_profile --verify).

The fix core (kit.analysis.fixes) writes each fix from the root queryset expression as the user
wrote it; this module finds that expression in the cell's tree, on the line the root query
came from, and puts the fixed expression in its place. Only the tree changes: the line numbers
stay, so the replay's queries are attributed to the same cell lines as the first run's.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RewriteError", "RootRewrite", "rewrite_cell", "same_line_diff", "unsafe_code"]


class RewriteError(ValueError):
    """The fix cannot be put in the cell: the message says why."""


@dataclass(frozen=True, slots=True)
class RootRewrite:
    """Replace `expression`, written on `line` of the cell (1 is the magic's line), by `code`;
    and each read (old, new) the fix changes, as `post.comments.count()` becoming
    `post.comments_count`, wherever the cell writes it."""

    line: int
    expression: str
    code: str
    reads: tuple[tuple[str, str], ...] = ()
    # Names the code needs from django.db.models (Count, Prefetch, Q): imported first.
    imports: tuple[str, ...] = ()


def _parse_expression(text: str, what: str) -> ast.expr:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise RewriteError(f"the {what} `{text}` is not a Python expression") from None


def _find(tree: ast.Module, rewrite: RootRewrite) -> ast.expr:
    """The outermost node on rewrite.line that reads as rewrite.expression."""
    wanted = ast.unparse(_parse_expression(rewrite.expression, "root queryset"))
    for node in ast.walk(tree):  # breadth first: the outermost match comes first
        if (
            isinstance(node, ast.expr)
            and node.lineno <= rewrite.line <= (node.end_lineno or node.lineno)
            and ast.unparse(node) == wanted
        ):
            return node
    raise RewriteError(
        f"the root queryset `{rewrite.expression}` is not written on line {rewrite.line} "
        "of the cell"
    )


def _placed_at(new: ast.expr, old: ast.expr) -> ast.expr:
    """new, with every node at old's position (tracebacks and attribution keep old's line)."""
    for node in ast.walk(new):
        if isinstance(node, ast.expr | ast.keyword | ast.arg):
            node.lineno, node.col_offset = old.lineno, old.col_offset
            node.end_lineno, node.end_col_offset = old.end_lineno, old.end_col_offset
    return new


class _Replace(ast.NodeTransformer):
    def __init__(self, replacements: dict[int, ast.expr]) -> None:
        self.replacements = replacements

    def visit(self, node: ast.AST) -> ast.AST:
        replacement = self.replacements.get(id(node))
        return replacement if replacement is not None else super().visit(node)


def rewrite_cell(tree: ast.Module, rewrites: Sequence[RootRewrite]) -> ast.Module:
    """A copy of the cell's tree with each root queryset replaced by its fixed code.

    Raises RewriteError when an expression is not on its line, or a code does not parse.
    """
    result = copy.deepcopy(tree)
    replacements: dict[int, ast.expr] = {}
    for rewrite in rewrites:
        old = _find(result, rewrite)
        if id(old) in replacements:
            raise RewriteError(f"two fixes rewrite `{rewrite.expression}` on line {rewrite.line}")
        replacements[id(old)] = _placed_at(_parse_expression(rewrite.code, "fix"), old)
        for before, after in rewrite.reads:
            _replace_reads(result, before, after, replacements)
    _Replace(replacements).visit(result)  # the module itself is never replaced
    names = sorted({name for rewrite in rewrites for name in rewrite.imports})
    if names:
        aliases = [ast.alias(name) for name in names]
        result.body.insert(0, ast.ImportFrom("django.db.models", aliases, 0))
    return ast.fix_missing_locations(result)


def _replace_reads(
    tree: ast.Module, before: str, after: str, replacements: dict[int, ast.expr]
) -> None:
    wanted = ast.unparse(_parse_expression(before, "read"))
    found = [n for n in ast.walk(tree) if isinstance(n, ast.expr) and ast.unparse(n) == wanted]
    if not found:
        raise RewriteError(
            f"the fix also needs `{before}` read as `{after}`, and the cell does not write "
            f"`{before}` (it is read elsewhere: change it there)"
        )
    for node in found:
        replacements[id(node)] = _placed_at(_parse_expression(after, "read"), node)


def same_line_diff(text: str | None, expression: str, code: str) -> tuple[str, str] | None:
    """A source line before and after the fix (`expression` replaced by `code` once), or None
    when the expression is not written on it as the fix quotes it."""
    if not text or expression not in text:
        return None
    return text.rstrip(), text.replace(expression, code, 1).rstrip()


# Calls whose effects a rolled-back transaction does not undo, and why.
_UNSAFE_CALLS = {
    "commit": "it commits (.commit())",
    "connect": "it opens a second connection (connect()), outside the transaction",
    "Thread": "it starts a thread, whose queries use their own connection",
    "ThreadPoolExecutor": "it starts threads, whose queries use their own connection",
    "ProcessPoolExecutor": "it starts processes, whose queries use their own connections",
    "create_engine": "it opens a second connection (create_engine()), outside the transaction",
}


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def unsafe_code(tree: ast.Module) -> str | None:
    """Why the cell's effects could not be rolled back, read from its code, or None: it
    commits, opens another connection, runs threads, or asks for a durable atomic block."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name in _UNSAFE_CALLS:
            return _UNSAFE_CALLS[name]
        if name == "atomic" and any(
            k.arg == "durable" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in node.keywords
        ):
            return "it opens a durable atomic block, which commits"
    return None
