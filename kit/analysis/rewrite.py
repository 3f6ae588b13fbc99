"""Apply a fix to the user's queryset expression with `ast`: never a call it already has.

The calls go before a final slice or `.iterator()`; a lookup the expression already
select_related()s or prefetch_related()s is not added again; a string lookup that a new
Prefetch(...) replaces is taken out of the user's call (Django refuses a lookup seen twice with
different querysets); a deferred field is added to only() or taken out of defer(); a
RawQuerySet gets prefetch_related() (it has no select_related()).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Change", "apply_change", "existing_lookups", "is_raw"]

# Calls that end a queryset: what is added goes before them.
_TERMINAL = frozenset({"iterator"})


@dataclass(frozen=True)
class Change:
    """What to add: lookups (plain strings), Prefetch(...) code, annotate() code, fields."""

    select_related: Sequence[str] = ()
    prefetch_related: Sequence[str] = ()
    prefetch_objects: Sequence[tuple[str, str]] = ()  # (lookup, "Prefetch(...)")
    annotate: Sequence[str] = ()
    load_fields: Sequence[str] = ()  # deferred fields the loop reads

    def chain(self, raw: bool = False) -> str:
        """The calls as text, for an expression that cannot be read (or is raw)."""
        select = [] if raw else list(self.select_related)
        prefetch = (
            [repr(s) for s in self.prefetch_related]
            + [code for _, code in self.prefetch_objects]
            + ([repr(s) for s in self.select_related] if raw else [])
        )
        text = _call("select_related", [repr(s) for s in select])
        text += _call("prefetch_related", prefetch)
        return text + _call("annotate", list(self.annotate))


def _call(method: str, arguments: Sequence[str]) -> str:
    return f".{method}({', '.join(arguments)})" if arguments else ""


def _parse(expression: str) -> ast.expr | None:
    try:
        return ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None


def _calls(node: ast.expr) -> list[ast.Call]:
    """The method calls of a chain, outermost first."""
    found = []
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found.append(node)
        node = node.func if isinstance(node, ast.Call) else node.value
    return found


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _strings(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def is_raw(expression: str) -> bool:
    """True for `Model.objects.raw(...)` (a RawQuerySet), maybe sliced."""
    node = _parse(expression)
    return node is not None and any(_name(c) == "raw" for c in _calls(node))


def existing_lookups(expression: str) -> tuple[set[str], set[str]]:
    """(select_related, prefetch_related) string lookups the expression already has."""
    node = _parse(expression)
    select: set[str] = set()
    prefetch: set[str] = set()
    for call in _calls(node) if node is not None else []:
        if _name(call) == "select_related":
            select.update(_strings(call))
        elif _name(call) == "prefetch_related":
            prefetch.update(_strings(call))
    return select, prefetch


def _covered(lookup: str, present: set[str]) -> bool:
    return any(p == lookup or p.startswith(lookup + "__") for p in present)


class _Edit(ast.NodeTransformer):
    """Takes replaced prefetch lookups out of the user's calls and edits only()/defer()."""

    def __init__(self, drop_prefetch: set[str], fields: Sequence[str]) -> None:
        self.drop, self.fields = drop_prefetch, list(fields)
        self.fields_placed = False

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = _name(node)
        if name == "prefetch_related" and self.drop:
            node.args = [
                a for a in node.args if not (isinstance(a, ast.Constant) and a.value in self.drop)
            ]
            if not node.args and isinstance(node.func, ast.Attribute):
                return node.func.value  # the call became empty: drop it
        elif name == "only" and self.fields:
            present = set(_strings(node))
            node.args += [ast.Constant(f) for f in self.fields if f not in present]
            self.fields_placed = True
        elif name == "defer" and self.fields:
            node.args = [
                a
                for a in node.args
                if not (isinstance(a, ast.Constant) and a.value in self.fields)
            ]
            self.fields_placed = True
            if not node.args and isinstance(node.func, ast.Attribute):
                return node.func.value
        return node


def _insertion_point(node: ast.expr) -> ast.expr:
    """Where calls go: below a final slice and a final .iterator()."""
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and _name(node) in _TERMINAL:
            assert isinstance(node.func, ast.Attribute)
            node = node.func.value
        else:
            return node


def _drop_all(text: str) -> str:
    return text[: -len(".all()")] if text.endswith(".all()") else text


def apply_change(expression: str, change: Change) -> str:
    """The expression with the change applied, or the change's calls alone when it is ""."""
    node = _parse(expression) if expression else None
    if node is None:
        return change.chain()
    raw = is_raw(expression)
    select, prefetch = existing_lookups(expression)
    new_select = [s for s in change.select_related if not _covered(s, select)]
    new_prefetch = [s for s in change.prefetch_related if not _covered(s, prefetch)]
    objects = list(change.prefetch_objects)
    drop = {lookup for lookup, _ in objects if lookup in prefetch}
    edit = _Edit(drop, change.load_fields)
    edited_node = edit.visit(ast.parse(expression.strip(), mode="eval")).body
    edited = expression.strip() if not (drop or edit.fields_placed) else ast.unparse(edited_node)
    fields_left: Sequence[str] = () if edit.fields_placed else change.load_fields
    rest = Change(new_select, new_prefetch, objects, change.annotate)
    chain = rest.chain(raw=raw)
    if fields_left and not chain:
        return edited  # a deferred field the expression does not defer: nothing to add
    point = _insertion_point(_parse(edited) or edited_node)
    head = ast.get_source_segment(edited, point) if point.lineno == 1 else None
    if head is None or not edited.startswith(head):
        return _drop_all(edited) + chain
    return _drop_all(head) + chain + edited[len(head) :]
