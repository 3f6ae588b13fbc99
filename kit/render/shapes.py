"""Query shapes as the figures show them: each shape's colour and one-line SQL.

The numbers themselves (counts, times, lines per shape and per table) are computed once, in
kit.analysis.stats.
"""

from __future__ import annotations

from kit.analysis.stats import ShapeStats, TableStats, table_stats
from kit.analysis.stats import shape_stats as _shape_stats
from kit.profiles.profile import Profile
from kit.render.sqltext import summarize_sql

__all__ = [
    "PALETTE",
    "ShapeStats",
    "TableStats",
    "shape_color",
    "shape_stats",
    "shape_summary",
    "table_stats",
]

# Plotly's and D3's qualitative palettes without their reds (red marks N+1 groups): the same
# shape has the same colour in every figure.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#636efa", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#b6e880", "#fecb52",
)  # fmt: skip


def shape_stats(profile: Profile) -> list[ShapeStats]:
    """The profile's query shapes in first-seen order, past the record cap included."""
    return _shape_stats(profile.queries, profile.overflow)


def shape_color(shape: ShapeStats) -> str:
    """This shape's colour in every figure."""
    return PALETTE[(shape.number - 1) % len(PALETTE)]


def shape_summary(shape: ShapeStats) -> str:
    """The shape's SQL on one line, column lists elided."""
    return summarize_sql(shape.example_sql, width=160)
