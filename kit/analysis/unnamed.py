"""Name what a per-row query followed when the ORM call did not say: a deferred field (its
SELECT list) or a GenericRelation manager (its content-type filter and the attribute the
source reads), so such an N+1 gets a fix on its root queryset like any relation."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from kit.analysis.groups import NPlusOneGroup
from kit.analysis.lineage import Lineage
from kit.analysis.statements import SourceSpot, statement_at
from kit.capture.records import QueryRecord, Relation

__all__ = ["deferred_fields", "unnamed_lineage"]

# "table"."column" (or `table`.`column`) in a SELECT list.
_COLUMN = re.compile(r'[`"]?(\w+)[`"]?\.[`"]?(\w+)[`"]?')
# Calls on a related manager: `x.<attr>.all()` reads a relation called attr.
_MANAGER_CALLS = frozenset(
    {"all", "filter", "exclude", "count", "exists", "first", "last", "order_by", "get"}
)


def deferred_fields(sql: str) -> tuple[str, ...]:
    """The fields a deferred load reads: its SELECT list without the primary key."""
    head = re.split(r"\sFROM\s", sql, maxsplit=1, flags=re.IGNORECASE)[0]
    columns = [column for _, column in _COLUMN.findall(head)]
    return tuple(dict.fromkeys(columns[1:]))


def _latest_root(
    first: QueryRecord,
    lineage: dict[int, Lineage],
    by_id: dict[int, QueryRecord],
    model: str | None,
) -> Lineage | None:
    roots = [
        one
        for i, one in lineage.items()
        if i < first.id and not one.path and (model is None or by_id[i].model == model)
    ]
    return roots[-1] if roots else None


def _manager_attribute(spot: SourceSpot | None) -> str | None:
    """The one `x.<attr>.all()` / `.count()`... the statement reads, else None."""
    if spot is None:
        return None
    statement = statement_at(*spot)
    if statement is None:
        return None
    # Names a loop binds (a model's class, as in Product.objects.all(), is not one).
    bound = {
        name.id
        for node in ast.walk(statement)
        if isinstance(node, ast.For | ast.comprehension)
        for name in ast.walk(node.target)
        if isinstance(name, ast.Name)
    }
    found = {
        node.func.value.attr
        for node in ast.walk(statement)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _MANAGER_CALLS
        and isinstance(node.func.value, ast.Attribute)
        and isinstance(node.func.value.value, ast.Name)
        and node.func.value.value.id in bound
    }
    return found.pop() if len(found) == 1 else None


def unnamed_lineage(
    group: NPlusOneGroup,
    lineage: dict[int, Lineage],
    by_id: dict[int, QueryRecord],
    spot: Callable[[QueryRecord], SourceSpot | None],
) -> Lineage | None:
    """The root and a one-step path for a group whose relation the capture did not name."""
    first = by_id[group.record_ids[0]]
    if first.model is None:
        return None
    if group.trigger == "deferred":
        fields = deferred_fields(first.sql)
        root = _latest_root(first, lineage, by_id, first.model)
        if not fields or root is None:
            return None
        return root.extend(Relation(first.model, fields[0], "deferred", first.model))
    if "content_type_id" in first.sql and "object_id" in first.sql:
        attribute = _manager_attribute(spot(first))
        root = _latest_root(first, lineage, by_id, None)
        if attribute is None or root is None:
            return None
        holder = by_id[root.root_id].model or ""
        return root.extend(Relation(holder, attribute, "generic", first.model))
    return None
