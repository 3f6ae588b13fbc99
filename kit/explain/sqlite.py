"""SQLite: EXPLAIN QUERY PLAN rows (id, parent, notused, detail) into one plan tree."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from kit.explain.plan import (
    FULL_SCAN,
    INDEX_SCAN,
    JOIN,
    OTHER,
    SORT,
    TEMP,
    PlanNode,
    RawExplain,
)

PREFIX = "EXPLAIN QUERY PLAN"

# SCAN blog_post | SCAN blog_comment AS U0 | SCAN U0 USING COVERING INDEX i
# SEARCH blog_post USING INTEGER PRIMARY KEY (rowid=?) | SEARCH t USING INDEX i (a=? AND b>?)
_ACCESS = re.compile(
    r"^(?P<op>SCAN|SEARCH)\s+(?:TABLE\s+)?(?P<table>\S+)(?:\s+AS\s+(?P<alias>\S+))?"
    r"(?:\s+USING\s+(?P<how>(?:COVERING\s+)?INDEX\s+(?P<index>\S+)|INTEGER PRIMARY KEY|"
    r"PRIMARY KEY|ROWID SEARCH ON TABLE \S+ FOR IN-OPERATOR))?"
    r"(?P<rest>.*)$"
)
_TEMP = re.compile(r"^USE TEMP B-TREE FOR (?P<what>.+)$")


def parse_eqp(rows: Sequence[Sequence[Any]]) -> PlanNode:
    """The plan tree of EXPLAIN QUERY PLAN's rows; siblings that read tables form a nested loop."""
    children: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        node_id, parent, detail = int(row[0]), int(row[1]), str(row[-1])
        children.setdefault(parent, []).append((node_id, detail))
    return PlanNode(operation="QUERY PLAN", category=OTHER, children=_nodes(children, 0))


def _nodes(children: dict[int, list[tuple[int, str]]], parent: int) -> tuple[PlanNode, ...]:
    nodes = [
        _node(detail, _nodes(children, node_id)) for node_id, detail in children.get(parent, [])
    ]
    # SQLite runs the tables it lists one inside the other, first outermost: a nested loop.
    reads = [i for i, n in enumerate(nodes) if n.category in (FULL_SCAN, INDEX_SCAN)]
    if len(reads) < 2 or reads != list(range(reads[0], reads[-1] + 1)):
        return tuple(nodes)
    loop = _nested_loop(tuple(nodes[reads[0] : reads[-1] + 1]))
    return (*nodes[: reads[0]], loop, *nodes[reads[-1] + 1 :])


def _nested_loop(tables: tuple[PlanNode, ...]) -> PlanNode:
    """Tables read one inside the other, as a left-deep tree of two-child nested loops."""
    tree = tables[0]
    for inner in tables[1:]:
        tree = PlanNode(operation="NESTED LOOP", category=JOIN, children=(tree, inner))
    return tree


def _node(detail: str, children: tuple[PlanNode, ...]) -> PlanNode:
    """One EXPLAIN QUERY PLAN row as a node."""
    access = _ACCESS.match(detail)
    if access and detail != "SCAN CONSTANT ROW":
        how = access["how"] or ""
        index = access["index"] or ("PRIMARY KEY" if "PRIMARY KEY" in how else None)
        full = access["op"] == "SCAN"  # every row, in table or index order; SEARCH is a lookup
        return PlanNode(
            operation=access["op"],
            category=FULL_SCAN if full else INDEX_SCAN,
            relation=access["table"],
            index=index,
            detail=detail,
            children=children,
        )
    temp = _TEMP.match(detail)
    if temp:
        category = SORT if "ORDER BY" in temp["what"] else TEMP
        return PlanNode(
            operation="TEMP B-TREE", category=category, detail=detail, children=children
        )
    return PlanNode(
        operation=detail.split(" (")[0], category=OTHER, detail=detail, children=children
    )


def parse(raw: RawExplain) -> tuple[PlanNode, float | None, float | None]:
    """The plan tree; with ANALYZE, the top node carries the rows and time of the run."""
    root = parse_eqp(raw.output)
    if raw.measured_rows is not None:
        root = dataclasses.replace(
            root, actual_rows=raw.measured_rows, loops=1.0, total_ms=raw.measured_ms
        )
    return root, None, raw.measured_ms


@contextmanager
def statement_timeout(connection: Any, cursor: Any, timeout_ms: int) -> Iterator[None]:
    """Interrupt any statement that runs past the deadline (SQLite has no statement timeout)."""
    raw_connection = connection.connection
    deadline = perf_counter() + timeout_ms / 1000.0
    # A non-zero return interrupts the statement: sqlite3.OperationalError("interrupted").
    raw_connection.set_progress_handler(lambda: int(perf_counter() > deadline), 1_000)
    try:
        yield
    finally:
        raw_connection.set_progress_handler(None, 0)  # Django installs none of its own


def run(
    connection: Any, cursor: Any, sql: str, params: Any, *, analyze: bool, timeout_ms: int
) -> RawExplain:
    """EXPLAIN QUERY PLAN; with ANALYZE, also run the SELECT to count its rows and time it."""
    cursor.execute(f"{PREFIX} {sql}", params)
    rows = [tuple(row) for row in cursor.fetchall()]
    if not analyze:
        return RawExplain(PREFIX, rows)
    # SQLite has no EXPLAIN ANALYZE: what it can tell is how many rows, in how long.
    start = perf_counter()
    cursor.execute(sql, params)
    count = 0
    while batch := cursor.fetchmany(1_000):
        count += len(batch)
    return RawExplain(PREFIX, rows, float(count), (perf_counter() - start) * 1000.0)


def table_rows(connection: Any, cursor: Any, tables: Iterable[str]) -> dict[str, float]:
    """Exact row counts (SQLite keeps no estimate unless ANALYZE ran)."""
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = float(cursor.fetchone()[0])
    return counts


@contextmanager
def read_only(connection: Any, cursor: Any, *, outermost: bool) -> Iterator[None]:
    """PRAGMA query_only: no statement may change the database file; put back after."""
    cursor.execute("PRAGMA query_only")
    (saved,) = cursor.fetchone()
    cursor.execute("PRAGMA query_only = 1")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA query_only = {int(bool(saved))}")


# Django's own functions that are not marked deterministic (sqlite3/_functions.py).
_DJANGO_FUNCTIONS = frozenset({"rand", "stddev_pop", "stddev_samp", "var_pop", "var_samp"})
_DETERMINISTIC = 0x800  # SQLITE_DETERMINISTIC in pragma_function_list's flags


def function_refusal(cursor: Any, functions: Iterable[str], *, analyze: bool) -> str | None:
    """Under ANALYZE (the kit runs the SELECT), refuse a Python function registered on the
    connection that is not deterministic: query_only keeps the file, not what Python does.
    EXPLAIN QUERY PLAN calls no function."""
    names = sorted({name.lower() for name in functions} - _DJANGO_FUNCTIONS)
    if not analyze or not names:
        return None
    marks = ", ".join(["%s"] * len(names))
    cursor.execute(
        "SELECT name, flags FROM pragma_function_list "
        f"WHERE builtin = 0 AND name IN ({marks}) ORDER BY name",
        names,
    )
    for name, flags in cursor.fetchall():
        if not int(flags) & _DETERMINISTIC:
            return (
                f"ANALYZE refused: {name}() is a function registered on the connection and not "
                "deterministic; the kit cannot tell what it does. Plain EXPLAIN shows the plan."
            )
    return None


def view_definitions(cursor: Any, names: Iterable[str]) -> dict[str, str]:
    """SQLite's views need no look: query_only covers whatever they read."""
    return {}
