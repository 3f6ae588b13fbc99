"""The kit's figure style: plotly_white's look, written out in the few settings it needs.

A figure with a template carries the whole template in its JSON (about 6.5 KB each, twice per
profiled cell): these settings are a hundred bytes and look the same.
"""

from __future__ import annotations

import plotly.graph_objects as go

FONT_COLOR = "#2a3f5f"
GRID_COLOR = "#ebf0f8"
# Plotly's own axis defaults (no ticks, no axis line, a thin dark zero line as the bars'
# base) with plotly_white's light grid: each setting is saved once per axis in the notebook.
AXIS = {"gridcolor": GRID_COLOR}


def house_style(figure: go.Figure) -> go.Figure:
    """White paper and plot, light grid, plotly_white's font colour; no template in the JSON."""
    figure.update_layout(
        template=None,
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"color": FONT_COLOR},
        title={"x": 0.05},
        hoverlabel={"align": "left"},
    )
    figure.update_xaxes(**AXIS)
    figure.update_yaxes(**AXIS)
    return figure
