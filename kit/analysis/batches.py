"""Tell one bulk call's batches from a loop of calls: how many rows each statement writes.

One `bulk_create(objs, batch_size=100)` sends an INSERT per batch from one line, one
`QuerySet.delete()` a DELETE per chunk of ids, one prefetch_related() over an iterator() a
query per chunk: the same shape from one line with different params, which is how an N+1
looks. What tells them apart is the statement: a batch carries many rows (VALUES rows, an IN
list), a call per row carries one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kit.analysis.fingerprint import sql_shape
from kit.capture.records import QueryRecord

__all__ = ["BATCH_TRIGGERS", "is_batch", "rows_per_statement"]

# The ORM calls that may send several statements of one shape in one call (batches, chunks).
# Not update(): it sends one statement a call, so several from a line are several calls.
BATCH_TRIGGERS = frozenset(
    {"bulk_create", "bulk_update", "delete", "prefetch", "add", "remove"}
    | {"abulk_create", "abulk_update", "adelete", "aadd", "aremove"}  # the async ORM's
)

# An IN list of placeholders, as Django writes it on every backend ("IN (%s, %s)").
_IN_LIST = re.compile(r"\bIN \(((?:%s, )*%s)\)", re.IGNORECASE)
_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)


def rows_per_statement(record: QueryRecord) -> int:
    """How many rows the statement names: its VALUES rows (or UNNEST arrays' length, Django's
    bulk insert on PostgreSQL), else its longest IN list, else 1."""
    sql = record.sql
    if sql_shape(sql).kind == "INSERT":
        if "UNNEST(" in sql.upper():
            first = record.params[0] if record.params else None
            return len(first) if isinstance(first, list | tuple) else 1
        found = _VALUES.search(sql)
        return sql.count("), (", found.end()) + 1 if found else 1
    lists = _IN_LIST.findall(sql)
    return max((text.count("%s") for text in lists), default=1)


def is_batch(members: Sequence[QueryRecord], threshold: int) -> bool:
    """True when queries of one shape from one line are one bulk call's batches, not a loop.

    A bulk trigger whose statements mostly carry several rows is a batch (its last batch may
    hold one row); a loop of bulk calls with one object each still has `threshold` one-row
    statements.
    """
    triggers = {r.trigger for r in members}
    if not triggers or not triggers <= BATCH_TRIGGERS:
        return False
    single = sum(1 for r in members if rows_per_statement(r) <= 1)
    return single < threshold
