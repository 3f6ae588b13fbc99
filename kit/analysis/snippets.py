"""Read and rewrite one line of the user's Python: what a loop iterates, `if qs:` and so on."""

from __future__ import annotations

import ast

__all__ = [
    "append_chain",
    "displayed_expression",
    "drop_all",
    "filter_keywords",
    "iterated_expression",
    "parse_line",
    "relation_chain",
    "with_count",
    "with_exists",
]

# Calls that evaluate their one argument as a whole: what they are given is the queryset.
_CONSUMERS = frozenset({"list", "tuple", "set", "sorted", "len", "bool", "sum", "any", "all"})


def parse_line(text: str | None) -> tuple[str, ast.Module] | None:
    """The stripped line and its syntax tree; a block header gets a body so that it parses."""
    if not text:
        return None
    line = text.strip()
    if line.startswith("elif "):
        line = line[2:]  # `elif x:` alone does not parse; `if x:` does
    # A block header parses once it has a body (on its own line: the header may end in a
    # comment).
    for source in (line, line + "\n    pass"):
        try:
            return line, ast.parse(source)
        except SyntaxError:
            continue
    return None


def _segment(line: str, node: ast.AST) -> str:
    return ast.get_source_segment(line, node) or ""


def _splice(line: str, node: ast.expr, replacement: str) -> str:
    """The line with node's text replaced (offsets count UTF-8 bytes)."""
    data = line.encode()
    start, end = node.col_offset, node.end_col_offset
    if end is None:
        return line
    return (data[:start] + replacement.encode() + data[end:]).decode()


def drop_all(expression: str) -> str:
    """`Post.objects.all()` -> `Post.objects`: a manager has the same methods."""
    return expression[: -len(".all()")] if expression.endswith(".all()") else expression


def append_chain(expression: str, chain: str) -> str:
    """The queryset expression with chain added: before a final slice, after dropping .all()."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return drop_all(expression) + chain
    if isinstance(node, ast.Subscript):
        value = ast.get_source_segment(expression, node.value) or ""
        return drop_all(value) + chain + expression[len(value) :]
    return drop_all(expression) + chain


# Calls that evaluate a queryset, sync and async: a Prefetch queryset stops before them.
_EVALUATING = frozenset(
    {"count", "exists", "first", "last", "get", "iterator", "aggregate"}
    | {"acount", "aexists", "afirst", "alast", "aget", "aiterator", "aaggregate"}
)


def chain_end(node: ast.expr, parents: dict[ast.AST, ast.AST]) -> ast.expr:
    """The outermost expression of the calls and subscripts chained on node
    (`x.comments` in `x.comments.filter(a=1)[:5].count()` -> `x.comments.filter(a=1)[:5]`),
    stopping before a call that evaluates."""
    outer = node
    while True:
        parent = parents.get(outer)
        if isinstance(parent, ast.Attribute) and parent.value is outer:
            call = parents.get(parent)
            if not (isinstance(call, ast.Call) and call.func is parent):
                break
            if parent.attr in _EVALUATING:
                break
            outer = call
        elif isinstance(parent, ast.Subscript) and parent.value is outer:
            outer = parent
        else:
            break
    return outer


def iterated_expression(text: str | None) -> str | None:
    """The expression a `for` (or `async for`) loop, a comprehension or list()/len()/...
    evaluates, if any."""
    parsed = parse_line(text)
    if parsed is None:
        return None
    line, tree = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            return _segment(line, node.iter)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _CONSUMERS
            and len(node.args) == 1
            # list(p.x for p in qs): the generator's own iterable, found further down
            and not isinstance(node.args[0], ast.GeneratorExp | ast.ListComp | ast.SetComp)
        ):
            return _segment(line, node.args[0])
    return None


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def relation_chain(text: str | None, field: str) -> tuple[str, str] | None:
    """For `x.<field>.filter(...)[:5]` in the line: ("x", ".filter(...)[:5]"), else None.

    The chain stops before a call that evaluates (count(), exists()...) and drops a leading
    `.all()`: what is left is what a Prefetch queryset must repeat.
    """
    parsed = parse_line(text)
    if parsed is None:
        return None
    line, tree = parsed
    parents = _parents(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == field:
            outer = chain_end(node, parents)
            base, full = _segment(line, node), _segment(line, outer)
            chain = full[len(base) :]
            if chain.startswith(".all()"):
                chain = chain[len(".all()") :]
            return _segment(line, node.value), chain
    return None


def with_exists(text: str | None) -> str | None:
    """`if qs:` -> `if qs.exists():` (also elif, while, not, bool(qs)), else None."""
    parsed = parse_line(text)
    if parsed is None:
        return None
    line, tree = parsed
    statement = tree.body[0] if tree.body else None
    test: ast.expr | None = None
    if isinstance(statement, ast.If | ast.While):
        test = statement.test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test = test.operand
    else:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_call_to(node, "bool"):
                return _splice(line, node, _segment(line, node.args[0]) + ".exists()")
    if test is None or isinstance(test, ast.BoolOp | ast.Compare | ast.Constant):
        return None
    if isinstance(test, ast.Call) and _is_call_to(test, "bool"):
        return _splice(line, test, _segment(line, test.args[0]) + ".exists()")
    rewritten = _splice(line, test, _segment(line, test) + ".exists()")
    return "el" + rewritten if text and text.strip().startswith("elif ") else rewritten


def with_count(text: str | None) -> str | None:
    """`n = len(qs)` -> `n = qs.count()`; `if len(qs):`/`len(qs) > 0` -> `qs.exists()`."""
    parsed = parse_line(text)
    if parsed is None:
        return None
    line, tree = parsed
    statement = tree.body[0] if tree.body else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if (
                isinstance(left, ast.Call)
                and _is_call_to(left, "len")
                and isinstance(right, ast.Constant)
                and (type(node.ops[0]), right.value) in ((ast.Gt, 0), (ast.GtE, 1), (ast.NotEq, 0))
            ):
                return _splice(line, node, drop_all(_segment(line, left.args[0])) + ".exists()")
        if isinstance(node, ast.Call) and _is_call_to(node, "len"):
            inner = drop_all(_segment(line, node.args[0]))
            in_test = isinstance(statement, ast.If | ast.While) and statement.test is node
            return _splice(line, node, inner + (".exists()" if in_test else ".count()"))
    return None


def _is_call_to(node: ast.Call, name: str) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == name and len(node.args) == 1


def displayed_expression(text: str | None) -> str | None:
    """The expression a line shows as the cell's value (a bare expression, not a call)."""
    parsed = parse_line(text)
    if parsed is None:
        return None
    line, tree = parsed
    statement = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(statement, ast.Expr):
        return None
    value = statement.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return None  # print(qs), display(qs): not the queryset itself
    return _segment(line, value)


def filter_keywords(chain: str) -> list[tuple[str, str]] | None:
    """For a chain of only `.filter(k=v)` calls: [(k, "v"), ...], else None."""
    try:
        tree = ast.parse("_" + chain, mode="eval")
    except SyntaxError:
        return None
    found: list[tuple[str, str]] = []
    node = tree.body
    while isinstance(node, ast.Call):
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "filter") or node.args:
            return None
        if any(k.arg is None for k in node.keywords):
            return None  # **kwargs: the keys are not in the source
        found[:0] = [(k.arg, ast.unparse(k.value)) for k in node.keywords if k.arg]
        node = func.value
    is_start = isinstance(node, ast.Name) and node.id == "_"
    return found if is_start and found else None
