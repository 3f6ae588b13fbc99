"""Findings from row counts and loops: misestimates, and reads a nested loop repeats (pure)."""

from __future__ import annotations

from kit.explain.context import FindingContext, column_names
from kit.explain.plan import FILTER, FULL_SCAN, INDEX_SCAN, JOIN, PlanFinding, PlanNode
from kit.explain.suggest import filter_columns, index_advice, join_columns, suggest_index


def misestimate(node: PlanNode, ctx: FindingContext) -> PlanFinding | None:
    actual, estimate = node.actual_rows, node.estimated_rows
    if actual is None or estimate is None or not node.loops:
        return None
    if not node.relation and node.category not in (JOIN, FILTER):
        return None  # reads, filters and joins carry the estimates that matter; the rest follow
    # Under a LIMIT or EXISTS the database stops reading early, by design: fewer rows than
    # estimated there is no misestimate.
    if actual < estimate and (ctx.refs.has_limit or "EXISTS" in ctx.sql_upper):
        return None
    high, low = max(actual, estimate), max(min(actual, estimate), 1.0)
    if high < 10 or high / low < ctx.limits.misestimate:
        return None
    reader = next((n for _, n in node.walk() if n.relation), None)
    table = ctx.table(reader) if reader and node.category != JOIN else None
    columns = filter_columns(ctx.refs, table, ctx.vendor) if table else []
    direction = "more" if actual > estimate else "fewer"
    on = f" reading {table}" + (f" on {column_names(columns)}" if columns else "") if table else ""
    return PlanFinding(
        kind="misestimate",
        severity="warning",
        message=(
            f"{node.operation}{on}: the planner expected {estimate:,.0f} rows, got "
            f"{actual:,.0f} ({high / low:,.0f}x {direction}), so it may pick the wrong plan."
            f"{_statistics_advice(ctx.vendor, table, [r.column for r in columns])}"
        ),
        node_id=node.id,
        table=table,
        columns=tuple(r.column for r in columns),
    )


def _statistics_advice(vendor: str, table: str | None, columns: list[str]) -> str:
    """How to give the planner better statistics: refresh them, then describe the columns."""
    if table is None or vendor not in ("postgresql", "mysql"):
        return ""
    names = ", ".join(columns)
    if vendor == "postgresql":
        advice = f" Refresh its statistics: ANALYZE {table}."
        if len(columns) > 1:
            # Fresh statistics still assume independent columns; extended ones do not.
            name = "_".join([table, *columns, "stats"])[:63]  # PostgreSQL before 16 needs one
            advice += f" If they are fresh, the columns go together: CREATE STATISTICS {name} ON"
            advice += f" {names} FROM {table}; then ANALYZE {table}."
        return advice
    advice = f" Refresh its statistics: ANALYZE TABLE {table}."
    if columns:
        advice += (
            f" Columns without an index get statistics with ANALYZE TABLE {table} UPDATE "
            f"HISTOGRAM ON {names} (MySQL 8) or ANALYZE TABLE {table} PERSISTENT FOR "
            f"COLUMNS ({names}) INDEXES () (MariaDB)."
        )
    return advice


def nested_loops(node: PlanNode, ctx: FindingContext) -> list[PlanFinding]:
    """Table reads that run many times; the reads below a reported one are not reported again."""
    runs = node.loops if node.loops is not None else node.estimated_loops
    table = ctx.table(node)
    reads = table in ctx.tables and node.category in (FULL_SCAN, INDEX_SCAN)
    if reads and table and runs is not None and runs >= ctx.limits.min_loops:
        return [_looped_read(node, ctx, table, runs)]
    found: list[PlanFinding] = []
    for child in node.children:
        found += nested_loops(child, ctx)
    return found


def _looped_read(node: PlanNode, ctx: FindingContext, table: str, runs: float) -> PlanFinding:
    scan = node.category == FULL_SCAN
    columns = join_columns(ctx.refs, table)
    index = suggest_index(ctx.tables.get(table), columns[:1]) if scan else None
    how = "a full scan" if scan else "an index lookup"
    on = f" joined on {column_names(columns)}" if columns else ""
    advice = index_advice(index) or (
        " Fine one at a time, but a join or prefetch_related reads them in one pass."
        if not scan
        else ""
    )
    return PlanFinding(
        kind="nested_loop",
        severity="warning" if scan else "info",
        message=f"{table}{on} is read {runs:,.0f} times by a nested loop, each {how}.{advice}",
        node_id=node.id,
        table=table,
        columns=tuple(r.column for r in columns),
        index=index,
    )
