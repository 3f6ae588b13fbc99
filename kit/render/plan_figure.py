"""The plan tree as a plotly icicle: size by time or cost, details on hover, a plan menu."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.graph_objects as go

from kit.analysis.wording import counted
from kit.explain.plan import Plan, PlanNode
from kit.render.figures import png_exporter
from kit.render.plans import node_numbers, plans_text
from kit.render.sqltext import hover_sql, summarize_sql

# Colours by what a node does; a node with a finding is drawn in the finding's colour.
_CATEGORY_COLOURS = {
    "full_scan": "#9ecae1",
    "index_scan": "#a1d99b",
    "sort": "#fdd0a2",
    "temp": "#fdd0a2",
    "join": "#dadaeb",
    "aggregate": "#dadaeb",
}
_FINDING_COLOURS = {"warning": "#e6550d", "info": "#fdae6b"}
_OTHER_COLOUR = "#f0f0f0"
# A tile never gets less than this share of its plan, so its name can be read.
MIN_SHARE = 0.04
# Layout in pixels: the title with its subtitle, the plan menu's band, each level of the tree.
WIDTH_PX = 960
TITLE_PX = 76
MENU_PX = 40
LEVEL_PX = 70
BOTTOM_PX = 10
# A tile this wide holds a step's name ("Index Scan on blog_comment"); a leaf this tall, a line.
LABEL_PX = 150
LEAF_PX = 22
MAX_PLOT_PX = 1_400


def size_metric(plan: Plan) -> str:
    """What the tiles' sizes show: each step's own time when every step has one, else its own
    cost, else its estimated rows, else one per step.

    SQLite measures only the whole SELECT (the top node) and estimates nothing per step: sized
    by that time, its plan was one box and unlabelled slivers (issue 16). So a measure counts
    only when the steps below the top have it too.
    """
    nodes = plan.nodes()
    steps = nodes[1:] or nodes
    if any((n.exclusive_ms or 0) > 0 for n in steps):
        return "time"
    if any((n.exclusive_cost or 0) > 0 for n in steps):
        return "cost"
    if any((n.estimated_rows or 0) > 0 for n in steps):
        return "rows"
    return "nodes"


def _own(node: PlanNode, metric: str) -> float:
    if metric == "time":
        return node.exclusive_ms or 0.0
    if metric == "cost":
        return node.exclusive_cost or 0.0
    if metric == "rows":
        return node.estimated_rows or 0.0
    return 1.0


def _hover(node: PlanNode, findings: list[str]) -> str:
    """Hover text: label, index, numbers, condition, findings; wrapped, <br> between lines."""
    lines = [f"<b>{_plain(node.label)}</b>"]
    if node.index:
        lines.append(f"index: {_plain(node.index)}")
    numbers = node_numbers(node)
    if numbers:
        lines.append(numbers)
    if node.detail and node.detail != node.label:
        lines.append(hover_sql(node.detail, lines=2))
    lines += [hover_sql(f"⚠ {text}", lines=3) for text in findings]
    return "<br>".join(lines)


def _plain(text: str) -> str:
    return escape(text, quote=False)


def tile_values(plan: Plan) -> list[float]:
    """Each node's own tile size, in plan.nodes() order; none below MIN_SHARE of the total."""
    metric = size_metric(plan)
    own = [_own(n, metric) for n in plan.nodes()]
    total = sum(own) or 1.0
    return [max(value, total * MIN_SHARE) for value in own]


@dataclass(frozen=True)
class Tiling:
    """How a plan is laid out: "v" puts each level of the tree in a row (root on top), "h" in
    a column (root on the left); plot_px is the plot's height that keeps labels readable."""

    orientation: str
    plot_px: int


def tiling(plan: Plan, values: list[float]) -> Tiling:
    """Rows for a narrow tree, columns for a wide one: the way its smallest tile is biggest.

    Leaves share the plot's width (rows) or height (columns) by their size, so a wide tree in
    rows leaves its leaves too narrow for their names.
    """
    nodes = plan.nodes()
    depth = max(d for d, _ in plan.root.walk())
    total = sum(values) or 1.0
    smallest = min(v for n, v in zip(nodes, values, strict=True) if not n.children) / total
    if (WIDTH_PX - 20) * smallest >= LABEL_PX:
        return Tiling("v", LEVEL_PX * (depth + 1))
    tall = min(MAX_PLOT_PX, max(LEVEL_PX * 3, int(LEAF_PX / smallest)))
    if (WIDTH_PX - 20) / (depth + 1) >= LABEL_PX:
        return Tiling("h", tall)
    # Deep and wide: whichever gives the smallest tile more room.
    rows_px, columns_px = (WIDTH_PX - 20) * smallest, (WIDTH_PX - 20) / (depth + 1)
    if rows_px >= columns_px:
        return Tiling("v", LEVEL_PX * (depth + 1))
    return Tiling("h", tall)


def plan_trace(plan: Plan, key: str, visible: bool, layout: Tiling | None = None) -> go.Icicle:
    """One plan as an icicle trace, each node beside or below its parent (see tiling())."""
    nodes = plan.nodes()
    metric = size_metric(plan)
    values = tile_values(plan)
    layout = layout or tiling(plan, values)
    parents: dict[int, str] = {}
    for node in nodes:
        for child in node.children:
            parents[child.id] = f"{key}-{node.id}"
    found: dict[int, list[str]] = {}
    severity: dict[int, str] = {}
    for finding in plan.findings:
        found.setdefault(finding.node_id, []).append(finding.message)
        if severity.get(finding.node_id) != "warning":
            severity[finding.node_id] = finding.severity
    return go.Icicle(
        ids=[f"{key}-{n.id}" for n in nodes],
        parents=[parents.get(n.id, "") for n in nodes],
        labels=[n.label + (" ⚠" if n.id in found else "") for n in nodes],
        # Every node keeps a tile for its name even when it costs nothing measurable.
        values=values,
        branchvalues="remainder",
        hovertext=[_hover(n, found.get(n.id, [])) for n in nodes],
        hoverinfo="text",
        # The tile says its step and what sized it (plotly hides what does not fit). Columns
        # are wide and short: one line; rows are tall: the numbers below the name.
        text=[_tile_text(n, metric, layout.orientation, n.id in found) for n in nodes],
        texttemplate="%{text}",
        marker={
            "colors": [
                _FINDING_COLOURS.get(severity.get(n.id, ""))
                or _CATEGORY_COLOURS.get(n.category, _OTHER_COLOUR)
                for n in nodes
            ]
        },
        tiling={"orientation": layout.orientation},
        visible=visible,
        name=f"plan {key}",
    )


_METRIC_WORDS = {
    "time": "each step's own time",
    "cost": "each step's own estimated cost",
    "rows": "each step's estimated rows",
    "nodes": "one per step (no per-step time or estimate to size by)",
}


def _tile_text(node: PlanNode, metric: str, orientation: str, flagged: bool) -> str:
    """A tile's words: the step's name, its finding mark, and the number that sized it."""
    name = _plain(node.label) + (" ⚠" if flagged else "")
    numbers = _tile_numbers(node, metric)
    if not numbers:
        return name
    return f"{name} · {numbers}" if orientation == "h" else f"{name}<br>{numbers}"


def _tile_numbers(node: PlanNode, metric: str) -> str:
    """The number that sized a tile, for its label ("" when tiles count steps)."""
    if metric == "time" and node.exclusive_ms is not None:
        return f"{node.exclusive_ms:,.2f} ms"
    if metric == "cost" and node.exclusive_cost is not None:
        return f"cost {node.exclusive_cost:,.1f}"
    if metric == "rows" and node.estimated_rows is not None:
        return f"est {counted(node.estimated_rows, 'row')}"
    if node.actual_rows is not None:
        return f"{counted(node.actual_rows, 'row')}"
    return ""


def _title(plan: Plan, number: int) -> dict[str, Any]:
    sql = escape(summarize_sql(plan.sql, 80), quote=False)
    subtitle = f"{plan.vendor} · {plan.statement} · tile size: {_METRIC_WORDS[size_metric(plan)]}"
    return {"text": f"Plan {number}: {sql}", "subtitle": {"text": escape(subtitle, quote=False)}}


def plan_figure(plans: Sequence[Plan]) -> go.Figure:
    """One figure for all plans; with several, a menu switches between them (no kernel needed).

    The menu has a band of its own between the title and the plot: placed in the title's
    corner it covered the subtitle (issue 16).
    """
    if not plans:
        raise ValueError("plan_figure needs at least one plan.")
    layouts = [tiling(plan, tile_values(plan)) for plan in plans]
    figure = go.Figure(
        [
            plan_trace(plan, f"p{i}", i == 0, layout)
            for i, (plan, layout) in enumerate(zip(plans, layouts, strict=True))
        ]
    )
    menu = len(plans) > 1
    top = TITLE_PX + (MENU_PX if menu else 0)
    plot_px = max(layout.plot_px for layout in layouts)
    figure.update_layout(
        title={**_title(plans[0], 1), "y": 1.0, "yanchor": "top", "pad": {"t": 14}},
        width=WIDTH_PX,
        height=top + plot_px + BOTTOM_PX,
        margin={"t": top, "l": 10, "r": 10, "b": BOTTOM_PX},
        uniformtext={"minsize": 9, "mode": "hide"},
    )
    if menu:
        buttons = [
            {
                "label": f"Plan {i + 1}: {summarize_sql(plan.sql, 70)}",
                "method": "update",
                "args": [
                    {"visible": [j == i for j in range(len(plans))]},
                    {"title": _title(plan, i + 1)},
                ],
            }
            for i, plan in enumerate(plans)
        ]
        figure.update_layout(
            updatemenus=[
                {
                    "buttons": buttons,
                    "x": 0.0,
                    "xanchor": "left",
                    # In plot fractions: the band's middle, above the plot's top edge.
                    "y": 1.0 + (MENU_PX / 2) / plot_px,
                    "yanchor": "middle",
                    "pad": {"t": 0, "b": 0},
                }
            ]
        )
    return figure


@dataclass
class PlanFigure:
    """The plan figure as a notebook output: interactive, a PNG where possible, and text."""

    figure: go.Figure
    text: str
    static_image: bool = True  # the shared exporter: a browser start once per kernel

    @classmethod
    def of(cls, plans: Sequence[Plan], static_image: bool = True) -> PlanFigure:
        """The figure and text view of these plans."""
        return cls(plan_figure(plans), plans_text(plans), static_image)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # plotly.js comes from its CDN, once per page, never embedded in each output.
        bundle: dict[str, Any] = {
            "application/vnd.plotly.v1+json": self.figure.to_plotly_json(),
            "text/html": self.figure.to_html(full_html=False, include_plotlyjs="cdn"),
            "text/plain": self.text,
        }
        png = static_png(self.figure) if self.static_image else None
        if png is not None:
            bundle["image/png"] = png
        return bundle


def static_png(figure: go.Figure) -> bytes | None:
    """A PNG of the figure for viewers that run no JavaScript, or None without a browser.

    The same exporter as every other figure: one headless Chromium per kernel.
    """
    return png_exporter().to_png(figure)
