"""Plan findings: full scans, sorts, wasteful filters, misestimates, long nested loops (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from kit.explain.context import FindingContext, Thresholds, column_names
from kit.explain.plan import (
    FULL_SCAN,
    INDEX_SCAN,
    SORT,
    TEMP,
    IndexSuggestion,
    PlanFinding,
    PlanNode,
)
from kit.explain.rowcounts import misestimate, nested_loops
from kit.explain.sqlrefs import sql_refs
from kit.explain.suggest import (
    TableInfo,
    filter_columns,
    index_advice,
    sort_columns,
    suggest_index,
)

__all__ = ["TableInfo", "Thresholds", "find_plan_issues"]


def find_plan_issues(
    root: PlanNode,
    sql: str,
    vendor: str,
    tables: Mapping[str, TableInfo],
    limits: Thresholds | None = None,
) -> tuple[PlanFinding, ...]:
    """Every finding of one plan, in plan order, each naming its table, columns and index."""
    ctx = FindingContext(sql_refs(sql), tables, limits or Thresholds(), vendor, sql.upper())
    found: list[PlanFinding] = []
    misestimated: set[str] = set()
    for _, node in root.walk():
        scan = _full_scan(node, ctx)
        wasted = _filter(node, ctx, scan.index if scan else None)
        found += [f for f in (scan, _sort(node, ctx, root), wasted) if f is not None]
        finding = misestimate(node, ctx)
        if finding and (finding.table or str(node.id)) not in misestimated:
            misestimated.add(finding.table or str(node.id))
            found.append(finding)
    found += nested_loops(root, ctx)
    return tuple(sorted(found, key=lambda f: f.node_id))


def _full_scan(node: PlanNode, ctx: FindingContext) -> PlanFinding | None:
    table, size = ctx.table(node), ctx.size(node)
    info = ctx.tables.get(table or "")
    if node.category != FULL_SCAN or table is None or info is None:
        return None
    if size is None or size < ctx.limits.min_rows:
        return None
    if node.actual_rows is not None:
        read = (node.actual_rows + (node.rows_removed or 0.0)) * (node.loops or 1.0)
        if read < ctx.limits.min_rows:
            return None  # measured: it stopped early (a LIMIT, a merge join) and read few rows
    elif node.index and ctx.refs.has_limit:
        return None  # a scan in index order under a LIMIT stops after the first rows
    columns = filter_columns(ctx.refs, table, ctx.vendor)
    order = sort_columns(ctx.refs, table, "ORDER")
    if order and ctx.refs.has_limit and all(r.op in ("=", "IN", "IS", "") for r in columns):
        columns = columns + order  # equality filters then the order: the index ends the sort too
    index = suggest_index(info, columns, keep_direction=bool(order))
    if columns:
        why = f"to filter on {column_names(columns)}"
    else:
        why = (
            "with no filter on it an index can use; if you need only some rows, filter or paginate"
        )
    return PlanFinding(
        kind="full_scan",
        severity="warning" if columns else "info",
        message=f"Full scan of {table} ({size:,.0f} rows) {why}." + index_advice(index),
        node_id=node.id,
        table=table,
        columns=tuple(r.column for r in columns),
        index=index,
    )


def _sort(node: PlanNode, ctx: FindingContext, root: PlanNode) -> PlanFinding | None:
    if node.category not in (SORT, TEMP):
        return None
    rows = _input_rows(node, ctx, root)
    if rows is not None and rows < ctx.limits.min_rows:
        return None
    clause = _sort_clause(node, ctx)
    tables = {r.table for r in ctx.refs.refs if r.clause == clause}
    table = next(iter(tables)) if len(tables) == 1 else None
    columns = sort_columns(ctx.refs, table, clause) if table else None
    index = None
    if columns and table:
        equal = [r for r in filter_columns(ctx.refs, table, ctx.vendor) if r.op in ("=", "IS", "")]
        index = suggest_index(ctx.tables.get(table), equal + columns, keep_direction=True)
        on = f" {column_names(columns)} on {table}"
    else:
        on = " an expression or several tables, which no single index can provide"
    size = f" of {rows:,.0f} rows" if rows is not None else ""
    kind = "sort" if node.category == SORT else "temp"
    step = "sort" if kind == "sort" else "temporary table"
    return PlanFinding(
        kind=kind,
        severity="warning",
        message=f"A {step}{size} for {clause} BY{on}." + index_advice(index),
        node_id=node.id,
        table=table,
        columns=tuple(r.column for r in columns or []),
        index=index,
    )


def _sort_clause(node: PlanNode, ctx: FindingContext) -> str:
    """Whether a sort or temporary table serves the ORDER BY or the GROUP BY."""
    text = f"{node.operation} {node.detail}".upper()
    for clause in ("GROUP", "ORDER"):
        if f"{clause} BY" in text:
            return clause
    present = {r.clause for r in ctx.refs.refs} | ctx.refs.by_expression
    preferred, other = ("GROUP", "ORDER") if node.category == TEMP else ("ORDER", "GROUP")
    return preferred if preferred in present or other not in present else other


def _input_rows(node: PlanNode, ctx: FindingContext, root: PlanNode) -> float | None:
    """How many rows a sort takes in: its child's, else the biggest table the plan reads."""
    if node.children:
        child = node.children[0]
        rows = child.actual_rows if child.actual_rows is not None else child.estimated_rows
        if rows is not None:
            return rows
    sizes = [ctx.size(n) for _, n in root.walk() if n.category in (FULL_SCAN, INDEX_SCAN)]
    known = [s for s in sizes if s is not None]
    return max(known) if known else None


def _filter(
    node: PlanNode, ctx: FindingContext, suggested: IndexSuggestion | None
) -> PlanFinding | None:
    reader = next((n for _, n in node.walk() if n.relation), None)
    table = ctx.table(reader) if reader else None
    counts = _read_and_kept(node, ctx)
    if table is None or counts is None:
        return None
    read, kept, measured = counts
    loops = node.loops or node.estimated_loops or 1.0
    share = 1.0 - kept / read
    if read * loops < ctx.limits.min_rows or share < ctx.limits.discard_share:
        return None
    columns = filter_columns(ctx.refs, table, ctx.vendor)
    index = suggest_index(ctx.tables.get(table), columns)
    if index is not None and index == suggested:
        index = None  # the full-scan finding on this node already suggests it
    on = f" on {column_names(columns)}" if columns else ""
    return PlanFinding(
        kind="filter",
        severity="warning",
        message=(
            f"The filter{on} on {table} {'throws' if measured else 'is estimated to throw'} away "
            f"{share:.0%} of the {read * loops:,.0f} rows it reads, keeping "
            f"{kept * loops:,.0f}." + index_advice(index)
        ),
        node_id=node.id,
        table=table,
        columns=tuple(r.column for r in columns),
        index=index,
    )


def _read_and_kept(node: PlanNode, ctx: FindingContext) -> tuple[float, float, bool] | None:
    """Rows a filtering node read and kept per loop, and whether they were measured."""
    if node.actual_rows is not None and node.rows_removed is not None:
        measured = node.actual_rows + node.rows_removed
        return (measured, node.actual_rows, True) if measured > 0 else None
    if not node.detail:
        return None  # no condition: nothing filters here
    read = node.rows_examined
    if read is None and node.category == FULL_SCAN and "Filter" in node.detail:
        read = ctx.size(node)  # PostgreSQL estimates only what a scan keeps
    kept = node.estimated_rows
    if read is None or kept is None or read <= 0:
        return None
    return read, kept, False
