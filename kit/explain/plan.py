"""Plan values: one tree of PlanNode per explained query, whatever the database (no Django)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Node categories: what findings and renderers need to know, whatever the vendor calls it.
FULL_SCAN = "full_scan"  # reads every row of a table: Seq Scan, SCAN t, access type ALL
INDEX_SCAN = "index_scan"  # reads through an index: lookups, ranges, full index scans
SORT = "sort"  # sorts rows: Sort, filesort, USE TEMP B-TREE FOR ORDER BY
TEMP = "temp"  # builds a temporary table or b-tree: GROUP BY/DISTINCT without an index
JOIN = "join"  # joins its children: nested loop, hash join, merge join
AGGREGATE = "aggregate"
FILTER = "filter"
LIMIT = "limit"
OTHER = "other"

CATEGORIES = (FULL_SCAN, INDEX_SCAN, SORT, TEMP, JOIN, AGGREGATE, FILTER, LIMIT, OTHER)


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One step of a plan; rows are per loop, times in ms over all loops, cost in vendor units."""

    operation: str
    category: str = OTHER
    relation: str | None = None
    index: str | None = None
    detail: str = ""
    estimated_rows: float | None = None
    estimated_cost: float | None = None
    rows_examined: float | None = None  # estimated rows read before this node's filter
    estimated_loops: float | None = None
    actual_rows: float | None = None
    rows_removed: float | None = None  # actual rows read and thrown away by this node's filter
    loops: float | None = None
    total_ms: float | None = None
    exclusive_ms: float | None = None
    exclusive_cost: float | None = None
    extra: tuple[tuple[str, str], ...] = ()
    children: tuple[PlanNode, ...] = ()
    id: int = 0

    def walk(self, depth: int = 0) -> Iterator[tuple[int, PlanNode]]:
        """This node and every node below it, depth first, with their depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    @property
    def label(self) -> str:
        """The operation and the table it reads, as a plan reads: "Seq Scan on blog_post"."""
        if self.relation and self.relation not in self.operation:
            return f"{self.operation} on {self.relation}"
        return self.operation


@dataclass(frozen=True, slots=True)
class IndexSuggestion:
    """An index that would help: the model, its fields (``-`` for descending) and the table."""

    model: str  # the model's class name, e.g. "Post"
    label: str  # app_label.ModelName, e.g. "blog.Post"
    table: str
    fields: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def code(self) -> str:
        """The line to add to the model's Meta.indexes."""
        return "models.Index(fields=[" + ", ".join(repr(f) for f in self.fields) + "])"


@dataclass(frozen=True, slots=True)
class PlanFinding:
    """Something in a plan worth changing, pointing at the node it is about."""

    kind: str  # full_scan, sort, temp, filter, misestimate, nested_loop
    severity: str  # warning or info
    message: str
    node_id: int
    table: str | None = None
    columns: tuple[str, ...] = ()
    index: IndexSuggestion | None = None


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A suggested index created inside a rolled-back transaction: the plan before and after."""

    index: IndexSuggestion
    create_sql: str = ""
    cost_before: float | None = None
    cost_after: float | None = None
    uses_index: bool = False
    after: Plan | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The plan of one query shape: its tree, what was run to get it, and what it finds."""

    vendor: str
    alias: str
    sql: str
    params: Any
    root: PlanNode
    statement: str  # the prefix that ran before the SQL: EXPLAIN (FORMAT JSON), ANALYZE ...
    analyzed: bool = False
    fingerprint: str = ""
    record_id: int | None = None
    executions: int = 1
    slowest_ms: float | None = None
    planning_ms: float | None = None
    execution_ms: float | None = None
    raw: str = ""
    notes: tuple[str, ...] = ()
    findings: tuple[PlanFinding, ...] = ()
    whatifs: tuple[WhatIf, ...] = ()

    def nodes(self) -> list[PlanNode]:
        """Every node, depth first (a node's id is its position in this list)."""
        return [node for _, node in self.root.walk()]

    @property
    def total_cost(self) -> float | None:
        """The planner's cost of the whole statement, when the database gives one."""
        return self.root.estimated_cost

    def node(self, node_id: int) -> PlanNode:
        """The node with this id."""
        return self.nodes()[node_id]


@dataclass(frozen=True, slots=True)
class ExplainError:
    """Why a query shape has no plan: refused, failed, timed out (one line)."""

    vendor: str
    alias: str
    sql: str
    message: str
    fingerprint: str = ""
    record_id: int | None = None


@dataclass(frozen=True, slots=True)
class RawExplain:
    """What the database answered: the prefix that ran and its output, before parsing."""

    statement: str
    output: Any  # rows (SQLite), a JSON document (PostgreSQL), text (MariaDB, MySQL)
    measured_rows: float | None = None  # SQLite ANALYZE: the rows the SELECT returned
    measured_ms: float | None = None  # and how long it took


def finalize(root: PlanNode) -> PlanNode:
    """Number the nodes depth first and fill in exclusive time and cost from the totals."""
    counter = iter(range(1_000_000))
    return _finalize(root, counter)


def _finalize(node: PlanNode, counter: Iterator[int]) -> PlanNode:
    node_id = next(counter)
    children = tuple(_finalize(child, counter) for child in node.children)
    return dataclasses.replace(
        node,
        id=node_id,
        children=children,
        exclusive_ms=_exclusive(node.total_ms, [c.total_ms for c in children]),
        exclusive_cost=_exclusive(node.estimated_cost, [c.estimated_cost for c in children]),
    )


def _exclusive(total: float | None, parts: list[float | None]) -> float | None:
    """What a node spends itself: its total less its children's, never below zero."""
    if total is None:
        return None
    return max(0.0, total - sum(p for p in parts if p is not None))


def number(value: Any) -> float | None:
    """A float from a vendor value ("33.33", 12, "19.2e+6"), or None when there is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None
