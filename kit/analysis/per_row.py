"""Annotations that replace a per-row count(), exists() or aggregate() on a related manager:
one query for the loop's queryset instead of one per row."""

from __future__ import annotations

import re

from kit.capture.records import Relation

__all__ = ["aggregate_annotations", "exists_annotation"]

# SUM("table"."column") AS "alias", in any vendor's quoting.
_AGGREGATE = re.compile(
    r"\b(SUM|AVG|MIN|MAX|COUNT)\(\s*(DISTINCT\s+)?(?:[`\"]?\w+[`\"]?\.)?[`\"]?(\w+|\*)[`\"]?\s*\)"
    r"\s+AS\s+[`\"]?(\w+)[`\"]?",
    re.IGNORECASE,
)
_FUNCTIONS = {"SUM": "Sum", "AVG": "Avg", "MIN": "Min", "MAX": "Max", "COUNT": "Count"}
# The first condition of a WHERE: the column that ties the related rows to their owner.
_WHERE_COLUMN = re.compile(r"\bWHERE\s+\(?[`\"]?\w+[`\"]?\.[`\"]?(\w+)[`\"]?\s*=", re.IGNORECASE)


def aggregate_annotations(sql: str, lookup: str) -> list[tuple[str, str]]:
    """[(name, "Sum('placements__quantity')")] for each aggregate of a per-row aggregate()."""
    found = []
    for function, distinct, column, alias in _AGGREGATE.findall(sql):
        target = lookup if column == "*" else f"{lookup}__{column}"
        extra = ", distinct=True" if distinct else ""
        found.append((f"{lookup}_{alias}", f"{_FUNCTIONS[function.upper()]}({target!r}{extra})"))
    return found


def _field_of(sql: str) -> str | None:
    match = _WHERE_COLUMN.search(sql)
    if match is None:
        return None
    column = match.group(1)
    return column[: -len("_id")] if column.endswith("_id") else column


def exists_annotation(relation: Relation, sql: str, class_name: str) -> tuple[str, str] | None:
    """("has_labels", "Exists(...)") for a per-row relation.exists(), else None.

    A reverse foreign key: Exists(Child.objects.filter(<fk>=OuterRef('pk'))); a many-to-many:
    Exists on its through model (Model.field.through), whose key names the owner.
    """
    key = _field_of(sql)
    if key is None:
        return None
    if relation.kind == "reverse_fk":
        model = class_name
    elif relation.kind == "m2m":
        model = f"{relation.model.rpartition('.')[2]}.{relation.field}.through"
    else:
        return None
    return (
        f"has_{relation.field}",
        f"Exists({model}.objects.filter({key}=OuterRef('pk')))",
    )
