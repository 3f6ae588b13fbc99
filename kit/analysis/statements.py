"""Recover the queryset a statement evaluates from the whole source it sits in, with `ast`.

A root query's record names one line; the statement around it may span several (a `for` over a
parenthesised queryset, a comprehension written over four lines, `list(... for p in qs)`), so
the expression is read from the statement, never guessed from the line or the model.
"""

from __future__ import annotations

import ast

from kit.analysis.pysource import parse_source
from kit.analysis.snippets import chain_end

__all__ = ["SourceSpot", "chain_depth", "queryset_expression", "related_chain", "statement_at"]

# (source text, line in it): where a record came from, read in full.
SourceSpot = tuple[str, int]

# Calls whose argument (the first, or the iterable of map()/filter()) is evaluated as a whole.
_WHOLE = frozenset(
    {"list", "tuple", "set", "frozenset", "sorted", "len", "bool", "sum", "any", "all", "max"}
    | {"min", "enumerate", "reversed", "iter", "next", "dict", "zip"}
)
_SECOND = frozenset({"map", "filter"})


def _header(statement: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that run on its own lines: a compound one without its body."""
    if isinstance(statement, ast.For | ast.AsyncFor):
        return [statement.target, statement.iter]
    if isinstance(statement, ast.If | ast.While):
        return [statement.test]
    if isinstance(statement, ast.With | ast.AsyncWith):
        return list(statement.items)
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return list(statement.decorator_list)
    if isinstance(statement, ast.Try):
        return []
    return [statement]


def statement_at(source: str, lineno: int) -> ast.stmt | None:
    """The innermost statement whose lines hold lineno (a compound one by its header)."""
    tree = parse_source(source)
    if tree is None:
        return None
    found: ast.stmt | None = None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.stmt) and node.lineno <= lineno <= (node.end_lineno or 0)):
            continue
        span = (node.end_lineno or 0) - node.lineno
        if found is None or span <= (found.end_lineno or 0) - found.lineno:
            found = node
    return found


def _bound_names(nodes: list[ast.AST]) -> set[str]:
    """Names the statement binds as loop or comprehension targets."""
    names: set[str] = set()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.comprehension):
                names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return names


def _uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _candidates(parts: list[ast.AST]) -> list[ast.expr]:
    """What the statement iterates or evaluates whole, outermost first."""
    found: list[ast.expr] = []
    for top in parts:
        for node in ast.walk(top):
            if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                found.append(node.iter)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                name = node.func.id
                arg = node.args[1] if name in _SECOND and len(node.args) > 1 else node.args[0]
                if name in _WHOLE | _SECOND and not isinstance(
                    arg, ast.GeneratorExp | ast.ListComp | ast.SetComp | ast.Lambda
                ):
                    found.append(arg)
    return found


_CONTAINERS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Call, ast.Lambda)


def _within_smallest(
    parts: list[ast.AST], lineno: int, candidates: list[ast.expr]
) -> list[ast.expr]:
    """The candidates inside the smallest comprehension, call or lambda that spans lineno
    (Python reports a comprehension written over several lines at its first line)."""
    spanning = [
        node
        for part in parts
        for node in ast.walk(part)
        if isinstance(node, _CONTAINERS) and node.lineno <= lineno <= (node.end_lineno or 0)
    ]
    if not spanning:
        return []
    smallest = min(spanning, key=lambda n: (n.end_lineno or 0) - n.lineno)
    inside = set(map(id, ast.walk(smallest)))
    return [n for n in candidates if id(n) in inside]


def _is_queryset_like(node: ast.expr) -> bool:
    """A name, an attribute chain, a call chain or a slice: what a queryset is written as."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _WHOLE | _SECOND
    ):
        return False  # sorted(qs): the queryset is its argument
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name)


def _text(source: str, node: ast.expr) -> str:
    """The node's code: as written on one line, else ast.unparse (the same expression)."""
    if node.lineno == node.end_lineno:
        lines = source.splitlines()
        if 0 < node.lineno <= len(lines):
            line = lines[node.lineno - 1].encode()
            return line[node.col_offset : node.end_col_offset].decode()
    return ast.unparse(node)


def queryset_expression(source: str, lineno: int, shown: bool = False) -> str | None:
    """The queryset expression the statement at lineno evaluates, as the user wrote it.

    The outermost iterated expression that does not use a name the statement binds (in
    `[c for p in qs for c in p.comments.all()]`, qs); with shown, a bare expression statement
    (the cell's displayed value). None when the statement evaluates none that can be read.
    """
    statement = statement_at(source, lineno)
    if statement is None:
        return None
    parts = _header(statement)
    bound = _bound_names(parts)
    if isinstance(statement, ast.For | ast.AsyncFor):
        bound |= {n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)}
    first = [statement.iter] if isinstance(statement, ast.For | ast.AsyncFor) else []
    candidates = first + _candidates(parts)
    # In a statement over many lines (a dict of lambdas, say), what is on the line first.
    on_line = [n for n in candidates if n.lineno <= lineno <= (n.end_lineno or n.lineno)]
    for node in on_line + _within_smallest(parts, lineno, candidates) + candidates:
        if _is_queryset_like(node) and not _uses(node, bound):
            return _text(source, node)
    if shown and isinstance(statement, ast.Expr) and _is_queryset_like(statement.value):
        value = statement.value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            return _text(source, value)
    return None


def _chain_of(source: str, top: ast.AST, field: str) -> tuple[str, str] | None:
    """("x", ".filter(a=1)[:5]") for `x.<field>.filter(a=1)[:5]` inside top."""
    parents = {child: node for node in ast.walk(top) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(top):
        if not (isinstance(node, ast.Attribute) and node.attr == field):
            continue
        outer = chain_end(node, parents)
        base, full = ast.unparse(node), ast.unparse(outer)
        chain = full[len(base) :]
        if chain.startswith(".all()"):
            chain = chain[len(".all()") :]
        return ast.unparse(node.value), chain
    return None


def related_chain(source: str, lineno: int, field: str) -> tuple[str, str] | None:
    """Where a related queryset was narrowed: in the statement at lineno, else in the latest
    assignment before it to a name that statement uses (`recent = p.comments.filter(...)`
    on one line, `for c in recent:` on the next)."""
    statement = statement_at(source, lineno)
    tree = parse_source(source)
    if statement is None or tree is None:
        return None
    found = _chain_of(source, statement, field)
    if found is not None:
        return found
    used = {n.id for part in _header(statement) for n in ast.walk(part) if isinstance(n, ast.Name)}
    assignments = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and node.lineno < lineno
        and any(isinstance(t, ast.Name) and t.id in used for t in node.targets)
    ]
    for node in sorted(assignments, key=lambda n: -n.lineno):
        found = _chain_of(source, node.value, field)
        if found is not None:
            return found
    return None


def chain_depth(source: str, lineno: int, field: str) -> int:
    """How many times `.field` follows itself in the statement at lineno (`z.parent.parent`:
    2); 0 when the statement does not read it."""
    statement = statement_at(source, lineno)
    if statement is None:
        return 0
    deepest = 0
    for node in ast.walk(statement):
        depth = 0
        while isinstance(node, ast.Attribute) and node.attr == field:
            depth, node = depth + 1, node.value
        deepest = max(deepest, depth)
    return deepest


def loop_target(source: str, lineno: int) -> str | None:
    """The name a `for` or a comprehension in the statement at lineno binds each row to."""
    statement = statement_at(source, lineno)
    if statement is None:
        return None
    nodes: list[ast.AST] = [statement] if isinstance(statement, ast.For) else []
    parts = _header(statement)
    nodes += [n for part in parts for n in ast.walk(part)]
    spanning = [
        n
        for n in nodes
        if isinstance(n, _CONTAINERS) and n.lineno <= lineno <= (n.end_lineno or 0)
    ]
    if spanning:  # the comprehension on the line first (a dict of lambdas has several)
        smallest = min(spanning, key=lambda n: (n.end_lineno or 0) - n.lineno)
        nodes = list(ast.walk(smallest)) + nodes
    for node in nodes:
        if isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
            return node.target.id
    return None


def enclosing_method(source: str, lineno: int) -> str | None:
    """ "Product.placement_total()" or "Supplier.product_count" (a property): the method of a
    class the line is in, else None."""
    tree = parse_source(source)
    if tree is None:
        return None
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        for item in cls.body:
            if isinstance(item, ast.FunctionDef) and item.lineno <= lineno <= (
                item.end_lineno or 0
            ):
                decorators = {ast.unparse(d).rpartition(".")[2] for d in item.decorator_list}
                is_property = bool(decorators & {"property", "cached_property"})
                return f"{cls.name}.{item.name}" + ("" if is_property else "()")
    return None
