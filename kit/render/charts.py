"""Bar charts: how many queries and how much database time, by query shape and by table."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kit.analysis.wording import counted
from kit.profiles.profile import Profile
from kit.render.shapes import (
    ShapeStats,
    TableStats,
    shape_color,
    shape_stats,
    shape_summary,
    table_stats,
)

TOP = 10
TABLE_COLOR = "#607d8b"


def top_shapes(shapes: list[ShapeStats], top: int = TOP) -> list[ShapeStats]:
    """The shapes that took most database time, most first."""
    return sorted(shapes, key=lambda s: (-s.total_ms, -s.count, s.number))[:top]


def render_breakdown(
    profile: Profile, *, shapes: list[ShapeStats] | None = None, top: int = TOP
) -> go.Figure:
    """A 2x2 figure: queries and ms by shape (top rows), queries and ms by table (bottom)."""
    shapes = shape_stats(profile) if shapes is None else shapes
    best = top_shapes(shapes, top)
    tables = table_stats(shapes)[:top]
    fig = make_subplots(
        rows=2,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.18,
        row_heights=[max(len(best), 1), max(len(tables), 1)],
        subplot_titles=(
            "queries by shape",
            "ms in the database by shape",
            "queries by table",
            "ms in the database by table",
        ),
    )
    _shape_bars(fig, best)
    _table_bars(fig, tables)
    for row in (1, 2):
        fig.update_yaxes(autorange="reversed", automargin=True, row=row, col=1)
    fig.update_traces(textangle=0, textposition="auto", cliponaxis=False)
    # Counts are whole numbers: no "0.5 queries" tick.
    most = max([s.count for s in best] + [t.count for t in tables] + [1])
    for row in (1, 2):
        fig.update_xaxes(tickformat=",d", dtick=1 if most <= 8 else None, row=row, col=1)
    fig.update_layout(
        template="plotly_white",
        title={"text": f"Where the {counted(profile.query_count, 'query')} went"},
        height=170 + 24 * (max(len(best), 1) + max(len(tables), 1)),
        width=960,
        margin={"l": 10, "r": 30, "t": 90, "b": 30},
        showlegend=False,
        bargap=0.25,
    )
    return fig


def _shape_bars(fig: go.Figure, shapes: list[ShapeStats]) -> None:
    hover = [
        "<br>".join(escape(shape_summary(s)[i : i + 90]) for i in range(0, 270, 90))
        for s in shapes
    ]
    common: dict[str, object] = {
        "y": [s.label for s in shapes],
        "orientation": "h",
        "marker": {"color": [shape_color(s) for s in shapes]},
        "customdata": hover,
    }
    counts, totals = [s.count for s in shapes], [s.total_ms for s in shapes]
    _count_and_time(fig, 1, counts, totals, "", "<br>%{customdata}", common)


def _table_bars(fig: go.Figure, tables: list[TableStats]) -> None:
    common: dict[str, object] = {
        "y": [t.table for t in tables],
        "orientation": "h",
        "marker": {"color": TABLE_COLOR},
    }
    counts, totals = [t.count for t in tables], [t.total_ms for t in tables]
    _count_and_time(fig, 2, counts, totals, "%{y}: ", "", common)


def _count_and_time(
    fig: go.Figure,
    row: int,
    counts: list[int],
    totals_ms: list[float],
    before: str,
    after: str,
    common: dict[str, object],
) -> None:
    """One row of the grid: queries (left) and ms in the database (right), same bars' order."""
    fig.add_trace(
        go.Bar(
            x=counts,
            text=[f"{n:,}" for n in counts],
            hovertemplate=f"{before}%{{x:,}} queries{after}<extra></extra>",
            **common,
        ),
        row=row,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=[round(ms, 3) for ms in totals_ms],
            text=[f"{ms:,.1f} ms" for ms in totals_ms],
            hovertemplate=f"{before}%{{x:,.2f}} ms{after}<extra></extra>",
            **common,
        ),
        row=row,
        col=2,
    )
