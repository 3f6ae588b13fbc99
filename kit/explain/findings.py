"""Plan findings: full scans, sorts, wasteful filters, misestimates, long nested loops (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kit.explain.plan import (
    FILTER,
    FULL_SCAN,
    INDEX_SCAN,
    JOIN,
    SORT,
    TEMP,
    IndexSuggestion,
    PlanFinding,
    PlanNode,
)
from kit.explain.sqlrefs import ColumnRef, SqlRefs, sql_refs
from kit.explain.suggest import (
    TableInfo,
    filter_columns,
    index_advice,
    join_columns,
    sort_columns,
    suggest_index,
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a plan step is worth a finding."""

    min_rows: float = 1_000  # a table, sort or filter this big is "many rows"
    min_loops: float = 1_000  # the inner side of a nested loop runs this often
    misestimate: float = 10.0  # actual and estimated rows differ by this factor
    discard_share: float = 0.9  # a filter throws away this share of the rows it reads


@dataclass(frozen=True, slots=True)
class _Context:
    refs: SqlRefs
    tables: Mapping[str, TableInfo]
    limits: Thresholds
    vendor: str
    sql_upper: str

    def table(self, node: PlanNode) -> str | None:
        """The real table a node reads (aliases resolved), or None."""
        return self.refs.table_of(node.relation) if node.relation else None

    def size(self, node: PlanNode) -> float | None:
        """How many rows the table behind a node holds, as best known."""
        info = self.tables.get(self.table(node) or "")
        known = [info.rows if info else None, node.rows_examined]
        if node.actual_rows is not None and node.rows_removed is not None:
            known.append(node.actual_rows + node.rows_removed)
        values = [v for v in known if v is not None]
        return max(values) if values else None


def find_plan_issues(
    root: PlanNode,
    sql: str,
    vendor: str,
    tables: Mapping[str, TableInfo],
    limits: Thresholds = Thresholds(),
) -> tuple[PlanFinding, ...]:
    """Every finding of one plan, in plan order, each naming its table, columns and index."""
    ctx = _Context(sql_refs(sql), tables, limits, vendor, sql.upper())
    found: list[PlanFinding] = []
    misestimated: set[str] = set()
    for _, node in root.walk():
        scan = _full_scan(node, ctx)
        wasted = _filter(node, ctx, scan.index if scan else None)
        found += [f for f in (scan, _sort(node, ctx, root), wasted) if f is not None]
        finding = _misestimate(node, ctx)
        if finding and (finding.table or str(node.id)) not in misestimated:
            misestimated.add(finding.table or str(node.id))
            found.append(finding)
    found += _nested_loops(root, ctx)
    return tuple(sorted(found, key=lambda f: f.node_id))


def _names(columns: list[ColumnRef]) -> str:
    return ", ".join(r.column for r in columns)


def _full_scan(node: PlanNode, ctx: _Context) -> PlanFinding | None:
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
        why = f"to filter on {_names(columns)}"
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


def _sort(node: PlanNode, ctx: _Context, root: PlanNode) -> PlanFinding | None:
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
        on = f" {_names(columns)} on {table}"
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


def _sort_clause(node: PlanNode, ctx: _Context) -> str:
    """Whether a sort or temporary table serves the ORDER BY or the GROUP BY."""
    text = f"{node.operation} {node.detail}".upper()
    for clause in ("GROUP", "ORDER"):
        if f"{clause} BY" in text:
            return clause
    present = {r.clause for r in ctx.refs.refs} | ctx.refs.by_expression
    preferred, other = ("GROUP", "ORDER") if node.category == TEMP else ("ORDER", "GROUP")
    return preferred if preferred in present or other not in present else other


def _input_rows(node: PlanNode, ctx: _Context, root: PlanNode) -> float | None:
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
    node: PlanNode, ctx: _Context, suggested: IndexSuggestion | None
) -> PlanFinding | None:
    reader = next((n for _, n in node.walk() if n.relation), None)
    table = ctx.table(reader) if reader else None
    if table is None or not (node.detail or node.rows_removed is not None):
        return None
    read: float | None
    kept: float | None
    measured = node.actual_rows is not None and node.rows_removed is not None
    if measured and node.actual_rows is not None and node.rows_removed is not None:
        kept, read = node.actual_rows, node.actual_rows + node.rows_removed
    else:
        read = node.rows_examined
        if read is None and node.category == FULL_SCAN and "Filter" in node.detail:
            read = ctx.size(node)
        kept = node.estimated_rows
    loops = node.loops or node.estimated_loops or 1.0
    if read is None or kept is None or read <= 0 or read * loops < ctx.limits.min_rows:
        return None
    share = 1.0 - kept / read
    if share < ctx.limits.discard_share:
        return None
    columns = filter_columns(ctx.refs, table, ctx.vendor)
    index = suggest_index(ctx.tables.get(table), columns)
    if index is not None and index == suggested:
        index = None  # the full-scan finding on this node already suggests it
    on = f" on {_names(columns)}" if columns else ""
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


def _misestimate(node: PlanNode, ctx: _Context) -> PlanFinding | None:
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
    on = f" reading {table}" + (f" on {_names(columns)}" if columns else "") if table else ""
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


def _nested_loops(node: PlanNode, ctx: _Context) -> list[PlanFinding]:
    """Table reads that run many times; the reads below a reported one are not reported again."""
    runs = node.loops if node.loops is not None else node.estimated_loops
    table = ctx.table(node)
    reads = table in ctx.tables and node.category in (FULL_SCAN, INDEX_SCAN)
    if reads and table and runs is not None and runs >= ctx.limits.min_loops:
        return [_looped_read(node, ctx, table, runs)]
    found: list[PlanFinding] = []
    for child in node.children:
        found += _nested_loops(child, ctx)
    return found


def _looped_read(node: PlanNode, ctx: _Context, table: str, runs: float) -> PlanFinding:
    scan = node.category == FULL_SCAN
    columns = join_columns(ctx.refs, table)
    index = suggest_index(ctx.tables.get(table), columns[:1]) if scan else None
    how = "a full scan" if scan else "an index lookup"
    on = f" joined on {_names(columns)}" if columns else ""
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
