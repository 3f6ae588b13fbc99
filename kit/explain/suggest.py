"""From a table's filter, sort and join columns to the models.Index that would serve them."""

from __future__ import annotations

from dataclasses import dataclass

from kit.explain.plan import IndexSuggestion
from kit.explain.sqlrefs import EQUALITY, RANGE, ColumnRef, SqlRefs

MAX_INDEX_COLUMNS = 3


@dataclass(frozen=True, slots=True)
class TableInfo:
    """What the kit knows of a table: its model, columns to field names, size and indexes."""

    table: str
    model: str  # class name, e.g. "Post"
    label: str  # app_label.ModelName
    fields: tuple[tuple[str, str], ...]  # (column, field name)
    rows: float | None = None
    indexes: tuple[tuple[str, ...], ...] = ()  # the columns of each existing index, in order

    def field(self, column: str) -> str | None:
        """The model field stored in `column`, or None."""
        return dict(self.fields).get(column)


def filter_columns(refs: SqlRefs, table: str, vendor: str = "") -> list[ColumnRef]:
    """The table's WHERE columns an index can serve: equalities first, then one range."""
    ops = EQUALITY | RANGE
    if vendor == "sqlite":
        # SQLite uses no index for a bare "WHERE t.flag" (Django writes booleans so there);
        # it needs "t.flag = 1".
        ops -= {""}
    usable = [r for r in refs.columns(table, "WHERE") if not r.in_call and r.op in ops]
    equal = [r for r in usable if r.op in EQUALITY]
    ranges = [r for r in usable if r.op in RANGE]
    return equal + ranges[:1]


def join_columns(refs: SqlRefs, table: str) -> list[ColumnRef]:
    """The table's columns that join it to another table (ON, or a correlated WHERE)."""
    joined = [r for r in refs.columns(table, "ON") if not r.in_call]
    correlated = [r for r in refs.columns(table, "WHERE") if r.op == "=" and not r.in_call]
    return joined or correlated


def sort_columns(refs: SqlRefs, table: str, clause: str) -> list[ColumnRef] | None:
    """The table's ORDER BY or GROUP BY columns, or None when they are not all on this table."""
    items = [r for r in refs.refs if r.clause == clause]
    if not items or any(r.table != table or r.in_call for r in items):
        return None
    if clause in refs.by_expression:
        return None
    return refs.columns(table, clause)


def suggest_index(
    info: TableInfo | None, columns: list[ColumnRef], *, keep_direction: bool = False
) -> IndexSuggestion | None:
    """The models.Index over these columns, unless a field is unknown or such an index exists."""
    if info is None or not columns:
        return None
    columns = columns[:MAX_INDEX_COLUMNS]
    names = tuple(r.column for r in columns)
    fields = []
    # A b-tree is read backwards as easily as forwards: keep "-" only when the sort mixes
    # directions (equality columns have none).
    mixed = keep_direction and len({r.descending for r in columns if r.clause == "ORDER"}) > 1
    for ref in columns:
        field = info.field(ref.column)
        if field is None:
            return None
        fields.append(f"-{field}" if mixed and ref.descending else field)
    if any(existing[: len(names)] == names for existing in info.indexes):
        return None
    return IndexSuggestion(info.model, info.label, info.table, tuple(fields), names)


def index_advice(index: IndexSuggestion | None) -> str:
    """The sentence that tells what to add, or "" when there is nothing to add."""
    if index is None:
        return ""
    return f" Add {index.code} to {index.model}.Meta.indexes."
