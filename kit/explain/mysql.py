"""MariaDB and MySQL: EXPLAIN/ANALYZE FORMAT=JSON, and MySQL 8's EXPLAIN ANALYZE tree text."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kit.explain.mysql_tree import parse_tree
from kit.explain.plan import (
    AGGREGATE,
    FULL_SCAN,
    INDEX_SCAN,
    JOIN,
    OTHER,
    SORT,
    TEMP,
    PlanNode,
    RawExplain,
    number,
)

_ACCESS = {
    "ALL": ("Full table scan", FULL_SCAN),
    "hash_ALL": ("Full table scan, hash join", FULL_SCAN),
    "index": ("Full index scan", FULL_SCAN),  # every row, in index order
    "hash_index": ("Full index scan, hash join", FULL_SCAN),
    "range": ("Index range scan", INDEX_SCAN),
    "hash_range": ("Index range scan, hash join", INDEX_SCAN),
    "index_merge": ("Index merge", INDEX_SCAN),
    "ref": ("Index lookup", INDEX_SCAN),
    "eq_ref": ("Unique index lookup", INDEX_SCAN),
    "ref_or_null": ("Index lookup", INDEX_SCAN),
    "unique_subquery": ("Unique index lookup", INDEX_SCAN),
    "index_subquery": ("Index lookup", INDEX_SCAN),
    "fulltext": ("Full-text index search", INDEX_SCAN),
    "const": ("Constant row", INDEX_SCAN),
    "system": ("Constant row", INDEX_SCAN),
}
# MariaDB marks the table an INSERT, UPDATE or DELETE writes.
_WRITES = {"insert": "Insert into", "update": "Update", "delete": "Delete from"}
_DETAILS: tuple[str, ...] = ("ref", "used_key_parts", "possible_keys")
_FLAGS: tuple[str, ...] = ("using_index", "using_join_buffer")
_MATERIALIZED = ("materialized", "materialized_from_subquery")  # a subquery read as a table
_MAX_DEPTH = 64  # JSON plans nest a few levels per subquery; deeper means a malformed document


def parse_json(output: Any) -> tuple[PlanNode, float | None, float | None]:
    """The plan tree, optimization ms and execution ms of EXPLAIN/ANALYZE FORMAT=JSON."""
    document = json.loads(output) if isinstance(output, str | bytes) else output
    root = _block(document["query_block"], 0)
    planning = number(document.get("query_optimization", {}).get("r_total_time_ms"))
    return root, planning, root.total_ms


def _block(block: dict[str, Any], depth: int) -> PlanNode:
    """A query block (one SELECT) and what it does."""
    select_id = block.get("select_id")
    conditions = [
        f"{key.replace('_', ' ')}: {block[key]}"
        for key in ("having_condition", "outer_ref_condition", "operation")
        if key in block
    ]
    return PlanNode(
        operation=f"SELECT #{select_id}" if select_id is not None else "SELECT",
        category=OTHER,
        detail="; ".join(conditions),
        estimated_cost=number(block.get("cost_info", {}).get("query_cost")),
        loops=number(block.get("r_loops")),
        total_ms=number(block.get("r_total_time_ms")),
        children=_children(block, depth + 1),
    )


def _children(container: dict[str, Any], depth: int) -> tuple[PlanNode, ...]:
    """The plan nodes inside a JSON object, in document order."""
    if depth > _MAX_DEPTH:
        raise ValueError("the JSON plan nests too deeply to be a plan")
    if not isinstance(container, dict):
        raise ValueError(f"expected a JSON object in the plan, not {container!r:.40}")
    nodes: list[PlanNode] = []
    for key, value in container.items():
        if key == "query_block":
            nodes.append(_block(value, depth))
        elif key == "table":
            nodes.append(_table(value, depth))
        elif key == "nested_loop":
            nodes.append(_nested_loop(value, depth))
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            # subqueries, attached_subqueries, query_specifications, sorts...
            nodes += [node for item in value for node in _children(item, depth + 1)]
        elif isinstance(value, dict) and key not in ("cost_info", "r_engine_stats"):
            nodes += _wrapper(key, value, depth)
    return tuple(nodes)


def _wrapper(key: str, value: dict[str, Any], depth: int) -> list[PlanNode]:
    """A step that wraps other steps: sorts, temporary tables, unions, caches."""
    children = _children(value, depth + 1)
    temporary = bool(value.get("using_temporary_table"))
    filesort = bool(value.get("using_filesort"))
    if key == "filesort":
        node = PlanNode("filesort", SORT, detail=f"sort key: {value.get('sort_key', '')}")
    elif key == "temporary_table":
        node = PlanNode("temporary table", TEMP)
    elif key == "ordering_operation":
        node = PlanNode(
            "ORDER BY, filesort" if filesort else "ORDER BY", SORT if filesort else OTHER
        )
    elif key == "grouping_operation":
        category = TEMP if temporary else SORT if filesort else AGGREGATE
        how = ", temporary table" if temporary else ", filesort" if filesort else ""
        node = PlanNode(f"GROUP BY{how}", category)
    elif key in ("union_result", "recursive_union"):
        name = "UNION" if key == "union_result" else "recursive UNION"
        node = PlanNode(name, TEMP if temporary else OTHER, relation=value.get("table_name"))
    elif key in ("duplicates_removal", "windowing", "window_functions_computation"):
        node = PlanNode(key.replace("_", " "), TEMP if temporary else OTHER)
    else:
        return list(children)  # read_sorted_file, expression_cache, materialized...: see inside
    cost = number(value.get("cost_info", {}).get("sort_cost"))
    return [
        dataclasses.replace(
            node,
            estimated_cost=cost,
            loops=number(value.get("r_loops")),
            total_ms=number(value.get("r_total_time_ms")),
            children=children,
        )
    ]


def _nested_loop(items: list[dict[str, Any]], depth: int) -> PlanNode:
    """Tables joined one inside the other; each later table runs once per row so far."""
    tables = [node for item in items for node in _children(item, depth + 1)]
    if len(tables) == 1:
        return tables[0]
    loops: float | None = 1.0
    joined = []
    for table in tables:
        joined.append(dataclasses.replace(table, estimated_loops=loops))
        out = table.estimated_rows
        loops = None if loops is None or out is None else loops * out
    return PlanNode("nested loop", JOIN, children=tuple(joined))


def _table(table: dict[str, Any], depth: int) -> PlanNode:
    """One table access: how it is read, how many rows, the condition it applies."""
    if "table_name" not in table and "message" in table:
        return PlanNode(str(table["message"]), OTHER)
    access = str(table.get("access_type", ""))
    write = next((verb for key, verb in _WRITES.items() if table.get(key)), "table")
    operation, category = _ACCESS.get(access, (access or write, OTHER))
    examined = number(table.get("rows_examined_per_scan", table.get("rows")))
    extra = [(k, _text(table[k])) for k in _DETAILS if k in table]
    extra += [(k, "yes") for k in _FLAGS if table.get(k)]
    subqueries = {k: v for k, v in table.items() if k in _MATERIALIZED}
    actual_rows, rows_removed, loops, total_ms = _actuals(table)
    return PlanNode(
        operation=f"{operation} ({access})" if access else operation,
        category=category,
        relation=table.get("table_name"),
        index=table.get("key"),
        detail=str(table.get("attached_condition", "")),
        estimated_rows=_kept(examined, number(table.get("filtered"))),
        estimated_cost=_sum(table.get("cost_info", {}), ("read_cost", "eval_cost")),
        rows_examined=examined,
        actual_rows=actual_rows,
        rows_removed=rows_removed,
        loops=loops,
        total_ms=total_ms,
        extra=tuple(extra),
        children=_children(subqueries, depth + 1),
    )


def _actuals(table: dict[str, Any]) -> tuple[float | None, ...]:
    """What ANALYZE measured: rows kept and thrown away per loop, loops, time in ms."""
    examined = number(table.get("r_rows"))
    kept = _kept(examined, number(table.get("r_filtered")))
    return (
        kept,
        None if kept is None or examined is None else examined - kept,
        number(table.get("r_loops")),
        _sum(table, ("r_table_time_ms", "r_other_time_ms", "r_total_time_ms")),
    )


def _sum(values: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    """The sum of the numbers under these keys, or None when there is none."""
    known = [n for n in (number(values.get(k)) for k in keys) if n is not None]
    return sum(known) if known else None


def _kept(rows: float | None, filtered_percent: float | None) -> float | None:
    """Rows left after a filter that keeps filtered_percent of them."""
    if rows is None or filtered_percent is None:
        return rows
    return rows * filtered_percent / 100.0


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def parse(raw: RawExplain) -> tuple[PlanNode, float | None, float | None]:
    """The plan tree: JSON from EXPLAIN and MariaDB's ANALYZE, tree text from MySQL's ANALYZE."""
    text = raw.output.decode() if isinstance(raw.output, bytes) else str(raw.output)
    if text.lstrip().startswith("{"):
        return parse_json(text)
    root = parse_tree(text)
    return root, None, root.total_ms


@contextmanager
def statement_timeout(connection: Any, cursor: Any, timeout_ms: int) -> Iterator[None]:
    """MySQL: max_execution_time for the session, put back after; MariaDB: see run()."""
    if connection.mysql_is_mariadb:
        yield  # each statement carries SET STATEMENT max_statement_time=... FOR
        return
    cursor.execute("SELECT @@SESSION.max_execution_time")
    (saved,) = cursor.fetchone()
    cursor.execute("SET SESSION max_execution_time = %s", [int(timeout_ms)])
    try:
        yield
    finally:
        # A session variable survives a rollback: put the user's value back.
        cursor.execute("SET SESSION max_execution_time = %s", [int(saved)])


def run(
    connection: Any, cursor: Any, sql: str, params: Any, *, analyze: bool, timeout_ms: int
) -> RawExplain:
    """EXPLAIN FORMAT=JSON; ANALYZE FORMAT=JSON on MariaDB, EXPLAIN ANALYZE (tree) on MySQL."""
    prefix = connection.ops.explain_query_prefix(format="JSON", analyze=analyze)
    statement = f"{prefix} {sql}"
    if connection.mysql_is_mariadb:
        seconds = f"{max(timeout_ms, 1) / 1000.0:g}"
        statement = f"SET STATEMENT max_statement_time={seconds} FOR {statement}"
    cursor.execute(statement, params)
    return RawExplain(prefix, cursor.fetchone()[0])


def table_rows(connection: Any, cursor: Any, tables: Iterable[str]) -> dict[str, float]:
    """InnoDB's row estimates from information_schema (no table is read)."""
    names = list(tables)
    if not names:
        return {}
    marks = ", ".join(["%s"] * len(names))
    cursor.execute(
        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({marks})",
        names,
    )
    return {name: float(rows) for name, rows in cursor.fetchall() if rows is not None}


@contextmanager
def read_only(connection: Any, cursor: Any, *, outermost: bool) -> Iterator[None]:
    """START TRANSACTION READ ONLY, when the kit's transaction is the only one.

    Inside the user's transaction no statement can make it read-only (SET TRANSACTION fails,
    START TRANSACTION would commit the user's work): there, the statement and routine checks
    are the guarantee.
    """
    if outermost:
        cursor.execute("START TRANSACTION READ ONLY")
    yield


def function_refusal(cursor: Any, functions: Iterable[str], *, analyze: bool) -> str | None:
    """Why the statement may not be explained: it calls a stored function.

    MariaDB runs a deterministic one even to optimize a plain EXPLAIN (a MyISAM insert in it
    stays), so any EXPLAIN is refused.
    """
    names = sorted({name.lower() for name in functions})
    if not names:
        return None
    marks = ", ".join(["%s"] * len(names))
    cursor.execute(
        "SELECT ROUTINE_SCHEMA, ROUTINE_NAME FROM information_schema.ROUTINES "
        f"WHERE ROUTINE_TYPE = 'FUNCTION' AND LOWER(ROUTINE_NAME) IN ({marks}) "
        "ORDER BY ROUTINE_NAME LIMIT 1",
        names,
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return (
        f"refused: {row[1]}() is a stored function (in {row[0]}), which the database may run "
        "even to plan the statement; the kit cannot tell what it does."
    )


def view_definitions(cursor: Any, names: Iterable[str]) -> dict[str, str]:
    """The SELECT behind each of these names that is a view of the current database."""
    wanted = sorted(names)
    marks = ", ".join(["%s"] * len(wanted))
    cursor.execute(
        "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({marks})",
        wanted,
    )
    return {str(name): str(definition) for name, definition in cursor.fetchall()}
