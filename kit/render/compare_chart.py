"""The comparison's delta chart: each number's change in percent, its words in a column.

Each row reads name | bar | words ("1,230 → 2: −1,228 (−99.8%)"), the words in the right
margin: drawn as the bars' own outside text they covered the row names, beside the bars they
squeezed the bars to nothing, and a fixed -130..330% axis ran to +300% when every change was
negative (issue 16). The axis spans the data; margins are worked out in pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from kit.render.compare_metric import Metric
from kit.render.style import house_style
from kit.render.textsize import text_width_px

WIDTH_PX = 960
ROW_PX = 44
FONT_PX = 12
# Between the plot and the names or the words.
GAP_PX = 8
# A number that was 0 before has no percentage: its bar is drawn this long, marked "new".
NEW_PERCENT = 100.0


def bar_value(metric: Metric) -> float:
    """The bar's length: the change in percent of before (NEW_PERCENT for a new number)."""
    percent = metric.change_percent
    return NEW_PERCENT if percent is None else round(percent, 2)


def bar_words(metric: Metric) -> str:
    """What the bar says: both numbers and the change."""
    return f"{metric.format(metric.before)} → {metric.format(metric.after)}: {metric.change}"


def axis_range(values: Sequence[float]) -> list[float]:
    """The data (0 included) and a tenth of its span each side."""
    low, high = min(0.0, *values), max(0.0, *values)
    if low == high:
        return [-10.0, 10.0]
    pad = (high - low) * 0.1
    return [low - pad if low < 0 else low - pad / 2, high + pad if high > 0 else high + pad / 2]


def percent_ticks(values: Sequence[float], count: int = 5) -> list[float]:
    """Round ticks over the data (0 included), and the round ones just past it that the axis
    still shows; none out in the empty part of the axis."""
    low, high = min(0.0, *values), max(0.0, *values)
    if low == high:
        return [0.0]
    axis_low, axis_high = axis_range(values)
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = max(math.floor(low / step) * step, math.ceil(axis_low / step) * step)
    last = min(math.ceil(high / step) * step, math.floor(axis_high / step) * step)
    return [round(first + i * step, 6) for i in range(round((last - first) / step) + 1)]


def delta_chart(metrics: Sequence[Metric], names: tuple[str, str]) -> go.Figure:
    """One bar per number, in percent of before; green when it fell, red when it rose,
    grey when it did not change or the change is within the runs' spread (noise)."""
    before, after = names
    values = [bar_value(m) for m in metrics]
    words = [bar_words(m) for m in metrics]
    labels = [m.label for m in metrics]
    margin_left = 20 + GAP_PX + int(max(text_width_px(label, FONT_PX) for label in labels))
    margin_right = 2 * GAP_PX + int(max(text_width_px(w, FONT_PX) for w in words))
    ticks = percent_ticks(values)
    fig = house_style(
        go.Figure(
            go.Bar(
                x=values,
                y=labels,
                orientation="h",
                marker={"color": [m.color for m in metrics]},
                customdata=words,
                hovertemplate="%{y}: %{customdata}<extra></extra>",
            )
        )
    )
    for text, label in zip(words, labels, strict=True):
        fig.add_annotation(
            xref="paper",
            x=1.0,
            xanchor="left",
            xshift=GAP_PX,
            y=label,
            text=text,
            showarrow=False,
            font={"size": FONT_PX},
        )
    fig.update_layout(
        title={
            "text": f"{before} → {after}: change in % of {before}",
            "subtitle": {"text": "green: fell · red: rose · grey: no change, or noise"},
        },
        width=WIDTH_PX,
        height=110 + ROW_PX * len(metrics),
        margin={"l": margin_left, "r": margin_right, "t": 70, "b": 40},
        xaxis={
            "range": axis_range(values),
            "tickmode": "array",
            "tickvals": ticks,
            "ticktext": [f"{v:+,g}%".replace("-", "−") if v else "0%" for v in ticks],
            "zeroline": True,
            "zerolinecolor": "#444",
        },
        yaxis={"autorange": "reversed", "automargin": False, "ticklabelstandoff": GAP_PX},
        bargap=0.35,
        showlegend=False,
    )
    return fig
