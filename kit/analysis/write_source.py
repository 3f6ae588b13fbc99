"""Read the user's write loop from its source: the ORM call, the loop around it, what it sets.

Pure: the file's text in (a cell's is in linecache), a WriteSite out, or None when the line
does not parse or no call of the expected name is there. The bulk form of a loop is written
from these pieces (kit.analysis.write_advice).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kit.analysis.pysource import parse_source

__all__ = ["WriteSite", "read_write_site"]


@dataclass(frozen=True)
class WriteSite:
    """The write call at a line and the `for` loop around it, as source text.

    receiver: what the method is called on (`post`, `Post.objects`, `product.labels`);
    keywords: the call's keyword arguments as text (`**row` under the key "**");
    args: its positional arguments; loop_target / loop_iter: the enclosing `for`'s target and
    iterable (None outside a loop); assigned: `<receiver>.<attr> = value` statements in the
    loop before the call, attr -> value text; constant: every such value is a literal.
    """

    method: str
    receiver: str
    keywords: tuple[tuple[str, str], ...]
    args: tuple[str, ...]
    loop_target: str | None = None
    loop_iter: str | None = None
    assigned: tuple[tuple[str, str], ...] = field(default=())
    constant: bool = False
    loop_body_is_call: bool = False
    # The `for` line, and whether the capture saw a queryset evaluated there (set by
    # kit.analysis.writes): then a name it iterates is a queryset, not a list.
    loop_line: int | None = None
    iter_is_queryset: bool = False


def read_write_site(
    text: str | None, line: int | None, methods: frozenset[str]
) -> WriteSite | None:
    """The call of one of `methods` that spans `line` of the source `text`, with its loop."""
    if not text or line is None:
        return None
    tree = parse_source(text)
    if tree is None:
        return None
    found = _call_and_loop(tree, line, methods)
    if found is None:
        return None
    call, loop = found
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    segment = lambda node: ast.get_source_segment(text, node) or ""  # noqa: E731
    keywords = tuple((keyword.arg or "**", segment(keyword.value)) for keyword in call.keywords)
    site = WriteSite(
        method=func.attr,
        receiver=segment(func.value),
        keywords=keywords,
        args=tuple(segment(a) for a in call.args),
    )
    if loop is None:
        return site
    assigned = _assignments(loop, call, segment(func.value))
    values = [value for _, value in assigned]
    return WriteSite(
        **{
            **site.__dict__,
            "loop_target": segment(loop.target),
            "loop_line": loop.lineno,
            "loop_iter": segment(loop.iter),
            "assigned": tuple((attr, segment(value)) for attr, value in assigned),
            "constant": bool(values) and all(isinstance(v, ast.Constant) for v in values),
            "loop_body_is_call": len(loop.body) == 1
            and isinstance(loop.body[0], ast.Expr)
            and loop.body[0].value is call,
        }
    )


def _call_and_loop(
    tree: ast.Module, line: int, methods: frozenset[str]
) -> tuple[ast.Call, ast.For | None] | None:
    """The innermost matching call spanning line and the innermost `for` around it."""
    best: tuple[ast.Call, ast.For | None] | None = None

    def visit(node: ast.AST, loop: ast.For | None) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            start, end = getattr(child, "lineno", None), getattr(child, "end_lineno", None)
            if start is not None and end is not None and not start <= line <= end:
                continue
            inner = child if isinstance(child, ast.For) else loop
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in methods
            ):
                best = (child, loop)
            visit(child, inner)

    visit(tree, None)
    return best


def _assignments(loop: ast.For, call: ast.Call, receiver: str) -> list[tuple[str, ast.expr]]:
    """`receiver.attr = value` statements in the loop body (nested blocks too), before the call."""
    found = []
    for statement in (node for body in loop.body for node in ast.walk(body)):
        if not isinstance(statement, ast.Assign) or statement.lineno >= call.lineno:
            continue
        if len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == receiver
        ):
            found.append((target.attr, statement.value))
    return found
