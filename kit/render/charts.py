"""Bar charts: how many queries and how much database time, by query shape and by table."""

from __future__ import annotations

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
from kit.render.sqltext import hover_sql
from kit.render.style import house_style

TOP = 10
TABLE_COLOR = "#607d8b"
# Layout in pixels: each bar's row, the band between the two rows of charts (the upper
# charts' tick labels, then the lower charts' titles), the title above and the ticks below.
BAR_PX = 26
GAP_PX = 64
TOP_PX = 90
BOTTOM_PX = 36
# The value axes run this far past the longest bar, so a number drawn beside it stays inside.
ROOM = 1.18


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
    # Sizes in pixels, then turned into plotly's fractions: with few bars a fraction of the
    # height left the lower titles on the upper tick labels (issue 16).
    upper, lower = BAR_PX * max(len(best), 1), BAR_PX * max(len(tables), 1)
    plot_px = upper + GAP_PX + lower
    fig = make_subplots(
        rows=2,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        vertical_spacing=GAP_PX / plot_px,
        row_heights=[upper, lower],
        subplot_titles=(
            "queries by shape",
            "ms in the database by shape",
            "queries by table",
            "ms in the database by table",
        ),
    )
    house_style(fig)
    _shape_bars(fig, best)
    _table_bars(fig, tables)
    for row in (1, 2):
        fig.update_yaxes(
            autorange="reversed", automargin=True, ticklabelstandoff=6, row=row, col=1
        )
    # Numbers inside long bars, beside short ones; the axes leave room for them (below).
    fig.update_traces(textangle=0, textposition="auto", cliponaxis=False)
    rows = (
        ([s.count for s in best], [s.total_ms for s in best]),
        ([t.count for t in tables], [t.total_ms for t in tables]),
    )
    for row, (counts, times) in enumerate(rows, start=1):
        most = max(counts, default=1)
        # Counts are whole numbers: no "0.5 queries" tick.
        fig.update_xaxes(
            tickformat=",d", dtick=1 if most <= 8 else None, range=[0, most * ROOM], row=row, col=1
        )
        fig.update_xaxes(range=[0, max([*times, 0.001]) * ROOM], row=row, col=2)
    fig.update_layout(
        title={"text": f"Where the {counted(profile.query_count, 'query')} went"},
        height=TOP_PX + plot_px + BOTTOM_PX,
        width=960,
        margin={"l": 10, "r": 30, "t": TOP_PX, "b": BOTTOM_PX},
        showlegend=False,
        bargap=0.25,
    )
    return fig


def _shape_bars(fig: go.Figure, shapes: list[ShapeStats]) -> None:
    hover = [hover_sql(shape_summary(s)) for s in shapes]
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
