"""PostgreSQL: EXPLAIN (FORMAT JSON [, ANALYZE, BUFFERS]) into one plan tree."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kit.explain.plan import (
    AGGREGATE,
    FULL_SCAN,
    INDEX_SCAN,
    JOIN,
    LIMIT,
    OTHER,
    SORT,
    TEMP,
    PlanNode,
    RawExplain,
    number,
)

_CATEGORIES = {
    "Seq Scan": FULL_SCAN,
    "Index Scan": INDEX_SCAN,
    "Index Only Scan": INDEX_SCAN,
    "Bitmap Heap Scan": INDEX_SCAN,
    "Bitmap Index Scan": INDEX_SCAN,
    "Sort": SORT,
    "Incremental Sort": SORT,
    "Nested Loop": JOIN,
    "Hash Join": JOIN,
    "Merge Join": JOIN,
    "Aggregate": AGGREGATE,
    "Limit": LIMIT,
    "Materialize": TEMP,
}
# Text-format names of the aggregate strategies, which is what people search for.
_AGGREGATES = {"Hashed": "HashAggregate", "Sorted": "GroupAggregate", "Mixed": "MixedAggregate"}
_CONDITIONS = (
    "Index Cond",
    "Recheck Cond",
    "Hash Cond",
    "Merge Cond",
    "Join Filter",
    "Filter",
    "Sort Key",
    "Group Key",
)
_REMOVED = (
    "Rows Removed by Filter",
    "Rows Removed by Join Filter",
    "Rows Removed by Index Recheck",
)
_EXTRA = (
    "Subplan Name",
    "Join Type",
    "Sort Method",
    "Sort Space Used",
    "Heap Fetches",
    "Hash Batches",
    "Peak Memory Usage",
    "Shared Hit Blocks",
    "Shared Read Blocks",
    "Temp Read Blocks",
    "Temp Written Blocks",
)


def parse_json(output: Any) -> tuple[PlanNode, float | None, float | None]:
    """The plan tree, planning ms and execution ms of one EXPLAIN (FORMAT JSON) result."""
    document = json.loads(output) if isinstance(output, str | bytes) else output
    top = document[0] if isinstance(document, list) else document
    root = _node(top["Plan"], estimated_loops=1.0)
    return root, number(top.get("Planning Time")), number(top.get("Execution Time"))


def _category(node_type: str, plan: dict[str, Any]) -> str:
    """What a node does; an index scan with no condition reads every row, in index order."""
    if node_type in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan:
        return FULL_SCAN
    return _CATEGORIES.get(node_type, OTHER)


def _node(plan: dict[str, Any], estimated_loops: float | None) -> PlanNode:
    """One plan node and its children."""
    node_type = str(plan["Node Type"])
    operation = node_type
    if node_type == "Aggregate":
        operation = _AGGREGATES.get(str(plan.get("Strategy")), node_type)
    loops = number(plan.get("Actual Loops"))
    per_loop_ms = number(plan.get("Actual Total Time"))
    children = plan.get("Plans", [])
    return PlanNode(
        operation=operation,
        category=_category(node_type, plan),
        relation=plan.get("Relation Name") or plan.get("CTE Name"),
        index=plan.get("Index Name"),
        detail="; ".join(_condition(plan, key) for key in _CONDITIONS if key in plan),
        estimated_rows=number(plan.get("Plan Rows")),
        estimated_cost=number(plan.get("Total Cost")),
        estimated_loops=estimated_loops,
        actual_rows=number(plan.get("Actual Rows")),
        rows_removed=_removed(plan),
        loops=loops,
        total_ms=None if per_loop_ms is None or loops is None else per_loop_ms * loops,
        extra=tuple((key, str(plan[key])) for key in _EXTRA if key in plan),
        children=tuple(
            _node(child, _times(estimated_loops, _runs_per_loop(node_type, plan, children, i)))
            for i, child in enumerate(children)
        ),
    )


def _runs_per_loop(
    node_type: str, plan: dict[str, Any], children: list[dict[str, Any]], i: int
) -> float | None:
    """How often a child runs each time its parent does: a nested loop's inner side per row."""
    if node_type == "Nested Loop" and i == 1:
        return number(children[0].get("Plan Rows"))
    if children[i].get("Parent Relationship") == "SubPlan":
        return number(plan.get("Plan Rows"))  # a correlated subquery runs once per row
    return 1.0


def _times(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a * b


def _condition(plan: dict[str, Any], key: str) -> str:
    value = plan[key]
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"{key}: {text}"


def _removed(plan: dict[str, Any]) -> float | None:
    """Rows the node read and discarded, per loop, when EXPLAIN ANALYZE counted them."""
    counts = [number(plan[key]) for key in _REMOVED if key in plan]
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def in_failed_transaction(raw_connection: Any) -> bool:
    """True when the connection's transaction has failed and only a rollback can end it."""
    if raw_connection is None:
        return False
    info = getattr(raw_connection, "info", None)  # psycopg 3
    status = (
        info.transaction_status if info is not None else raw_connection.get_transaction_status()
    )
    return int(status) == 3  # libpq's PQTRANS_INERROR, in psycopg and psycopg2 alike


def parse(raw: RawExplain) -> tuple[PlanNode, float | None, float | None]:
    """The plan tree, planning ms and execution ms."""
    return parse_json(raw.output)


@contextmanager
def statement_timeout(connection: Any, cursor: Any, timeout_ms: int) -> Iterator[None]:
    """SET LOCAL statement_timeout: it ends with the transaction (or savepoint) rolled back."""
    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(int(timeout_ms))])
    yield


def run(
    connection: Any, cursor: Any, sql: str, params: Any, *, analyze: bool, timeout_ms: int
) -> RawExplain:
    """EXPLAIN (FORMAT JSON), with ANALYZE and BUFFERS when asked; the driver binds params."""
    prefix = connection.ops.explain_query_prefix(format="JSON", analyze=analyze, buffers=analyze)
    cursor.execute(f"{prefix} {sql}", params)
    return RawExplain(prefix, cursor.fetchone()[0])


def table_rows(connection: Any, cursor: Any, tables: Iterable[str]) -> dict[str, float]:
    """The planner's row counts; a table never analyzed (reltuples -1) is counted."""
    names = list(tables)
    cursor.execute(
        "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relname = ANY(%s) "
        "AND c.relkind IN ('r', 'p', 'm') AND pg_table_is_visible(c.oid)",
        [names],
    )
    counts = {name: float(rows) for name, rows in cursor.fetchall()}
    for name in names:
        if counts.get(name, -1.0) < 0:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = float(cursor.fetchone()[0])
    return counts


@contextmanager
def read_only(connection: Any, cursor: Any, *, outermost: bool) -> Iterator[None]:
    """SET TRANSACTION READ ONLY: no table or sequence is written; the rollback ends it.

    PostgreSQL allows it in a savepoint too, and rolling the savepoint back restores the mode.
    """
    cursor.execute("SET TRANSACTION READ ONLY")
    yield


# Volatile built-ins that leave nothing behind: a rollback-free read of the clock or a random
# number. Any other volatile function may (nextval, pg_advisory_lock, setseed...).
_HARMLESS_VOLATILE = frozenset(
    {"random", "random_normal", "gen_random_uuid", "clock_timestamp", "timeofday", "pg_sleep"}
)
_BUILTIN_SCHEMAS = ("pg_catalog", "information_schema")


def function_refusal(cursor: Any, functions: Iterable[str], *, analyze: bool) -> str | None:
    """Why the functions a statement calls may leave an effect, as pg_proc describes them.

    Built-in functions and those of an installed extension (unaccent, pg_trgm...) are known by
    their volatility; a function of the user's own is not trusted to say the truth about it.
    """
    names = sorted(functions)
    if not names:
        return None
    cursor.execute(
        "SELECT p.proname, n.nspname, p.provolatile, n.nspname = ANY(%s) OR EXISTS ("
        "SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
        "AND d.objid = p.oid AND d.deptype = 'e') "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proname = ANY(%s) ORDER BY p.proname, n.nspname",
        [list(_BUILTIN_SCHEMAS), names],
    )
    for name, schema, volatility, known in cursor.fetchall():
        if not known and (analyze or volatility != "v"):
            # The planner runs immutable and stable functions to fold constants and estimate
            # rows, so even a plain EXPLAIN may run one; volatile ones run only under ANALYZE.
            when = "under ANALYZE" if analyze else "while PostgreSQL plans the statement"
            return (
                f"refused: {name}() is a function of your own (schema {schema}), which would "
                f"run {when}; the kit cannot tell what it does."
            )
        if analyze and volatility == "v" and name not in _HARMLESS_VOLATILE:
            return (
                f"ANALYZE refused: {name}() is volatile (pg_proc), so it may leave an effect "
                "a rollback cannot undo; plain EXPLAIN shows the plan."
            )
    return None


def view_definitions(cursor: Any, names: Iterable[str]) -> dict[str, str]:
    """The SELECT behind each of these names that is a view (a materialized one runs nothing)."""
    cursor.execute(
        "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
        "WHERE c.relkind = 'v' AND c.relname = ANY(%s)",
        [sorted(names)],
    )
    return {name: str(definition) for name, definition in cursor.fetchall()}
