"""The plan tree as a plotly icicle: size by time or cost, details on hover, a plan menu."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from kit.explain.plan import Plan, PlanNode
from kit.render.figures import png_exporter
from kit.render.plans import node_numbers, plans_text
from kit.render.sqltext import summarize_sql

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


def size_metric(plan: Plan) -> str:
    """What the tiles' sizes show: own time when measured, else own cost, else one per node."""
    nodes = plan.nodes()
    if any((n.exclusive_ms or 0) > 0 for n in nodes):
        return "time"
    if any((n.exclusive_cost or 0) > 0 for n in nodes):
        return "cost"
    return "nodes"


def _own(node: PlanNode, metric: str) -> float:
    if metric == "time":
        return node.exclusive_ms or 0.0
    if metric == "cost":
        return node.exclusive_cost or 0.0
    return 1.0


def _hover(node: PlanNode, findings: list[str]) -> str:
    """Hover text: label, index, numbers, condition, findings; <br> between lines."""
    lines = [f"<b>{node.label}</b>"]
    if node.index:
        lines.append(f"index: {node.index}")
    numbers = node_numbers(node)
    if numbers:
        lines.append(numbers)
    if node.detail and node.detail != node.label:
        lines.append(node.detail[:120])
    lines += [f"⚠ {text[:160]}" for text in findings]
    return "<br>".join(lines)


def plan_trace(plan: Plan, key: str, visible: bool) -> go.Icicle:
    """One plan as an icicle trace, the root on top and each node below its parent."""
    metric = size_metric(plan)
    nodes = plan.nodes()
    total = sum(_own(n, metric) for n in nodes) or 1.0
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
        # Every node keeps a visible sliver even when it costs nothing measurable.
        values=[max(_own(n, metric), total * 0.02) for n in nodes],
        branchvalues="remainder",
        hovertext=[_hover(n, found.get(n.id, [])) for n in nodes],
        hoverinfo="text",
        marker={
            "colors": [
                _FINDING_COLOURS.get(severity.get(n.id, ""))
                or _CATEGORY_COLOURS.get(n.category, _OTHER_COLOUR)
                for n in nodes
            ]
        },
        tiling={"orientation": "v"},
        visible=visible,
        name=f"plan {key}",
    )


def _title(plan: Plan, number: int) -> str:
    metric = {"time": "own time (ms)", "cost": "own cost", "nodes": "one per step"}
    return (
        f"Plan {number}: {summarize_sql(plan.sql, 80)}<br>"
        f"<sup>{plan.vendor} · {plan.statement} · tile size: {metric[size_metric(plan)]}</sup>"
    )


def plan_figure(plans: Sequence[Plan]) -> go.Figure:
    """One figure for all plans; with several, a menu switches between them (no kernel needed)."""
    if not plans:
        raise ValueError("plan_figure needs at least one plan.")
    figure = go.Figure([plan_trace(plan, f"p{i}", i == 0) for i, plan in enumerate(plans)])
    depth = max(max(d for d, _ in plan.root.walk()) for plan in plans)
    figure.update_layout(
        title={"text": _title(plans[0], 1)},
        margin={"t": 90, "l": 10, "r": 10, "b": 10},
        height=160 + 70 * (depth + 1),
    )
    if len(plans) > 1:
        buttons = [
            {
                "label": f"Plan {i + 1}: {summarize_sql(plan.sql, 50)}",
                "method": "update",
                "args": [
                    {"visible": [j == i for j in range(len(plans))]},
                    {"title": {"text": _title(plan, i + 1)}},
                ],
            }
            for i, plan in enumerate(plans)
        ]
        figure.update_layout(
            updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.12}]
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
