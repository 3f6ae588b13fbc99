"""How a plan's tiles are sized and laid out, and what each says.

A tile's size is what the database measured or estimated for that step (its own time, cost or
estimated rows), else one per step; a tree is laid out in rows or columns, whichever leaves
its smallest tile room for its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kit.analysis.wording import counted
from kit.explain.plan import Plan, PlanNode

# A tile never gets less than this share of its plan, so its name can be read.
MIN_SHARE = 0.04
# Layout in pixels: the figure's width, each level of the tree when levels are rows.
WIDTH_PX = 960
LEVEL_PX = 70
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


def plain(text: str) -> str:
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


METRIC_WORDS = {
    "time": "each step's own time",
    "cost": "each step's own estimated cost",
    "rows": "each step's estimated rows",
    "nodes": "one per step (no per-step time or estimate to size by)",
}


def tile_text(node: PlanNode, metric: str, orientation: str, flagged: bool) -> str:
    """A tile's words: the step's name, its finding mark, and the number that sized it."""
    name = plain(node.label) + (" ⚠" if flagged else "")
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
