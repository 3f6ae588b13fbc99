"""Figures of every kind at 1, 5 and 60 rows, from hand-built profiles and plans (no database).

The layout test draws each in chromium; benchmarks and screenshots use the same cases.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import plotly.graph_objects as go

from kit.analysis.timings import RunTimes
from kit.explain.plan import Plan, PlanFinding, PlanNode, finalize
from kit.profiles.profile import Profile
from tests.profiles import make_profile, record

SIZES = (1, 5, 60)
TABLES = (
    "blog_post",
    "auth_user",
    "blog_comment",
    "blog_category",
    "blog_tag",
    "blog_like",
    "blog_rating",
    "blog_profile",
)


def shapes_profile(shapes: int, per_shape: int = 3, name: str = "p") -> Profile:
    """`shapes` query shapes; every other one an N+1 of `per_shape` queries, some joins."""
    records, clock = [], 0.0
    for s in range(shapes):
        table, other = TABLES[s % len(TABLES)], TABLES[(s + 1) % len(TABLES)]
        sql = (
            f'SELECT "{table}"."id", "{table}"."name" FROM "{table}" '
            f'WHERE "{table}"."col_{s}" = %s LIMIT 21'
        )
        if s % 3 == 1:
            sql = (
                f'SELECT "{table}"."id" FROM "{table}" INNER JOIN "{other}" ON '
                f'("{table}"."x" = "{other}"."id") INNER JOIN "auth_user" ON '
                f'("auth_user"."id" = "{table}"."u") WHERE "{table}"."col_{s}" = %s'
            )
        for k in range(per_shape if s % 2 == 0 else 1):
            duration = 0.3 + (s % 4) * 0.2
            records.append(
                record(len(records), sql, (k + 100,), start_ms=clock, duration_ms=duration,
                       line=2 + s % 3)
            )  # fmt: skip
            clock += 1.0
    return make_profile(records, name=name)


def _sqlite_node(k: int) -> PlanNode:
    if k % 2:
        return PlanNode(operation="SCAN", category="full_scan", relation=f"blog_post_{k}",
                        detail=f"SCAN blog_post_{k}")  # fmt: skip
    return PlanNode(
        operation="SEARCH", category="index_scan", relation="blog_comment", index=f"idx_{k}",
        detail=f"SEARCH blog_comment USING INDEX idx_{k} (post_id=?)",
    )  # fmt: skip


def _postgresql_node(k: int, count: int) -> PlanNode:
    return PlanNode(
        operation="Seq Scan" if k % 2 else "Index Scan",
        category="full_scan" if k % 2 else "index_scan",
        relation=f"blog_post_{k}", estimated_rows=1000.0 * k + 1,
        estimated_cost=10.0 * (count - k) + 5, actual_rows=900.0 * k + 1, loops=1.0,
        total_ms=0.5 * (count - k) + 0.1 * k,
    )  # fmt: skip


def plan_of(nodes: int, vendor: str) -> Plan:
    """A plan of `nodes` steps: a chain up to 5, else a root over groups of six."""
    steps = [
        _sqlite_node(k) if vendor == "sqlite" else _postgresql_node(k, nodes) for k in range(nodes)
    ]
    if nodes <= 5:
        tree = steps[-1]
        for step in reversed(steps[:-1]):
            tree = dataclasses.replace(step, children=(tree,))
    else:
        groups = [steps[j : j + 6] for j in range(1, nodes, 6)]
        heads = [dataclasses.replace(g[0], children=tuple(g[1:])) for g in groups]
        tree = dataclasses.replace(steps[0], children=tuple(heads))
    if vendor == "sqlite":
        # SQLite measures the whole SELECT only: the top node's rows and time.
        tree = PlanNode(operation="QUERY PLAN", actual_rows=5.0, loops=1.0, total_ms=3.0,
                        children=(tree,))  # fmt: skip
    root = finalize(tree)
    flagged = root.children[0].id if root.children else root.id
    finding = PlanFinding(
        kind="full_scan", severity="warning", node_id=flagged,
        message="Full scan of blog_post (1,000 rows) to find 5 of them.",
    )  # fmt: skip
    statement = (
        "EXPLAIN QUERY PLAN" if vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
    )
    return Plan(
        vendor=vendor, alias="default",
        sql='SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post" WHERE '
        '"blog_post"."published" ORDER BY "blog_post"."created_at" DESC',
        params=(), root=root, statement=statement, analyzed=True, findings=(finding,),
    )  # fmt: skip


def repeated(profile: Profile, wall_ms: tuple[float, ...], db_ms: tuple[float, ...]) -> Profile:
    """The profile as --repeat would leave it: these runs' times."""
    profile.runs = RunTimes(wall_ms, db_ms, (profile.query_count,) * len(wall_ms))
    return profile


def figure_cases() -> dict[str, Callable[[], go.Figure]]:
    """Every figure kind at 1, 5 and 60 rows (the comparison: each way a change can go)."""
    from kit.render.charts import render_breakdown
    from kit.render.compare import Comparison
    from kit.render.plan_figure import plan_figure
    from kit.render.timeline import render_timeline

    cases: dict[str, Callable[[], go.Figure]] = {}
    for size in SIZES:
        cases[f"timeline-{size}"] = lambda n=size: render_timeline(shapes_profile(n))
        cases[f"breakdown-{size}"] = lambda n=size: render_breakdown(shapes_profile(n))
        cases[f"plan-sqlite-{size}"] = lambda n=size: plan_figure([plan_of(n, "sqlite")])
        cases[f"plan-postgresql-{size}"] = lambda n=size: plan_figure(
            [plan_of(n, "postgresql"), plan_of(max(n // 2, 1), "postgresql")]
        )
    big, small = shapes_profile(60, per_shape=40, name="before"), shapes_profile(2, name="after")
    cases["compare-fell"] = lambda: Comparison(big, small).figure()
    cases["compare-rose"] = lambda: Comparison(small, big).figure()
    cases["compare-noise"] = lambda: Comparison(
        repeated(shapes_profile(5, name="before"), (12.0, 10.0, 15.0), (5.0, 5.5, 6.0)),
        repeated(shapes_profile(5, name="after"), (11.0, 13.0, 14.0), (5.2, 5.1, 5.9)),
    ).figure()
    return cases
