"""The plan tree as a plotly icicle: size by time or cost, details on hover, a plan menu."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version

from kit.explain.plan import Plan, PlanNode
from kit.render.figures import png_exporter
from kit.render.markup import code_block
from kit.render.plan_tiles import (
    METRIC_WORDS,
    WIDTH_PX,
    Tiling,
    plain,
    size_metric,
    tile_text,
    tile_values,
    tiling,
)
from kit.render.plans import node_numbers, plans_text
from kit.render.sqltext import hover_sql, summarize_sql
from kit.render.style import house_style

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
# Layout in pixels: the title with its subtitle, the plan menu's band, below the plot.
TITLE_PX = 76
MENU_PX = 40
BOTTOM_PX = 10


def _hover(node: PlanNode, findings: list[str]) -> str:
    """Hover text: label, index, numbers, condition, findings; wrapped, <br> between lines."""
    lines = [f"<b>{plain(node.label)}</b>"]
    if node.index:
        lines.append(f"index: {plain(node.index)}")
    numbers = node_numbers(node)
    if numbers:
        lines.append(numbers)
    if node.detail and node.detail != node.label:
        lines.append(hover_sql(node.detail, lines=2))
    lines += [hover_sql(f"⚠ {text}", lines=3) for text in findings]
    return "<br>".join(lines)


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
        labels=[plain(n.label) + (" ⚠" if n.id in found else "") for n in nodes],
        # Every node keeps a tile for its name even when it costs nothing measurable.
        values=values,
        branchvalues="remainder",
        hovertext=[_hover(n, found.get(n.id, [])) for n in nodes],
        hoverinfo="text",
        # The tile says its step and what sized it (plotly hides what does not fit). Columns
        # are wide and short: one line; rows are tall: the numbers below the name.
        text=[tile_text(n, metric, layout.orientation, n.id in found) for n in nodes],
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


def _title(plan: Plan, number: int) -> dict[str, Any]:
    sql = escape(summarize_sql(plan.sql, 80), quote=False)
    subtitle = f"{plan.vendor} · {plan.statement} · tile size: {METRIC_WORDS[size_metric(plan)]}"
    return {"text": f"Plan {number}: {sql}", "subtitle": {"text": escape(subtitle, quote=False)}}


def plan_figure(plans: Sequence[Plan]) -> go.Figure:
    """One figure for all plans; with several, a menu switches between them (no kernel needed).

    The menu has a band of its own between the title and the plot: placed in the title's
    corner it covered the subtitle (issue 16).
    """
    if not plans:
        raise ValueError("plan_figure needs at least one plan.")
    layouts = [tiling(plan, tile_values(plan)) for plan in plans]
    figure = house_style(
        go.Figure(
            [
                plan_trace(plan, f"p{i}", i == 0, layout)
                for i, (plan, layout) in enumerate(zip(plans, layouts, strict=True))
            ]
        )
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
    """The plan figure as a notebook output: interactive where JavaScript runs, else its PNG
    (or its text tree), and text.

    JupyterLab draws the plotly JSON. nbconvert's HTML and GitHub show the text/html, which
    holds the static copy and a script that swaps in the interactive figure (plan menu and
    all) once plotly.js loads from its CDN: offline, or where scripts do not run, the static
    copy stays. (An empty div and a CDN script alone left a blank box offline: issue 16.)
    """

    figure: go.Figure
    text: str
    static_image: bool = True  # the shared exporter: a browser start once per kernel

    @classmethod
    def of(cls, plans: Sequence[Plan], static_image: bool = True) -> PlanFigure:
        """The figure and text view of these plans."""
        return cls(plan_figure(plans), plans_text(plans), static_image)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        png = static_png(self.figure) if self.static_image else None
        data: dict[str, Any] = {
            "application/vnd.plotly.v1+json": self.figure.to_plotly_json(),
            "text/html": interactive_html(self.figure, png, self.text),
            "text/plain": self.text,
        }
        metadata: dict[str, Any] = {}
        if png is not None:
            data["image/png"] = png
            layout = self.figure.layout
            metadata["image/png"] = {
                "width": layout.width,
                "height": layout.height,
                "needs_background": "light",
            }
        return data, metadata


def interactive_html(figure: go.Figure, png: bytes | None, text: str) -> str:
    """The static copy (PNG, else the text in monospace) in a box that a script fills with
    the interactive figure when plotly.js can be loaded; plotly.js is never embedded."""
    box = f"kit-plan-{uuid.uuid4().hex[:12]}"
    if png is not None:
        encoded = base64.b64encode(png).decode("ascii")
        static = (
            f'<img src="data:image/png;base64,{encoded}" width="{figure.layout.width}" '
            'alt="the query plans (the text above lists them all)">'
        )
    else:
        static = code_block(text, wrap=False)
    # "</" inside a script would end it: the JSON writes it "<\/".
    spec = figure.to_json().replace("</", "<\\/")
    script = _SWAP.replace("BOX", box).replace("FIGURE", spec).replace("CDN", _cdn_url())
    return f'<div id="{box}">{static}</div><script type="text/javascript">{script}</script>'


# Every plan figure on a page shares one load of plotly.js (window.kitPlotly).
_SWAP = """(function () {
  var box = document.getElementById("BOX"), figure = FIGURE;
  function draw() { box.innerHTML = ""; window.Plotly.newPlot(box, figure.data, figure.layout); }
  if (window.Plotly) { draw(); return; }
  if (!window.kitPlotly) {
    window.kitPlotly = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "CDN"; s.charset = "utf-8"; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  window.kitPlotly.then(draw, function () {});
})();"""


def _cdn_url() -> str:
    """plotly.js from its CDN, the version this plotly.py draws with."""
    return f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"


def static_png(figure: go.Figure) -> bytes | None:
    """A PNG of the figure for viewers that run no JavaScript, or None without a browser.

    The same exporter as every other figure: one headless Chromium per kernel.
    """
    return png_exporter().to_png(figure)
