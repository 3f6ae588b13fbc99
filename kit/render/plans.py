"""Plans as people read them: an indented text tree with findings marked, and plain HTML."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kit.analysis.wording import counted, noun
from kit.explain.plan import ExplainError, Plan, PlanFinding, PlanNode, WhatIf
from kit.render.markup import code_block
from kit.render.sqltext import summarize_sql

_DETAIL_WIDTH = 90
_MARK = {"warning": "⚠", "info": "•"}


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.2f}"
    return text + unit


def _rows(value: float) -> str:
    """ "1 row", "1,000 rows", "0.50 rows"."""
    return f"{_number(value)} {noun(value, 'row')}"


def node_numbers(node: PlanNode) -> str:
    """Estimates and actuals of a node on one line: est rows, cost, actual rows, loops, time."""
    parts = []
    if node.estimated_rows is not None:
        parts.append(f"est {_rows(node.estimated_rows)}")
    if node.estimated_cost is not None:
        parts.append(f"cost {node.estimated_cost:,.2f}")
    if node.actual_rows is not None:
        if node.loops in (None, 1.0):
            parts.append(f"actual {_rows(node.actual_rows)}")
        else:
            loops = f"{_number(node.loops)} {noun(node.loops or 0, 'loop')}"
            parts.append(f"actual {_rows(node.actual_rows)} per loop, {loops}")
    if node.rows_removed:
        parts.append(f"{_rows(node.rows_removed)} filtered out")
    if node.total_ms is not None:
        own = f" ({node.exclusive_ms:,.2f} own)" if node.exclusive_ms != node.total_ms else ""
        parts.append(f"{node.total_ms:,.2f} ms{own}")
    return " · ".join(parts)


def node_line(node: PlanNode, marks: str = "") -> str:
    """One node: its label, index, numbers and (cut) condition, then its finding marks."""
    text = node.label
    if node.index and node.index not in text:
        text += f" using {node.index}"
    numbers = node_numbers(node)
    if numbers:
        text += f"  ({numbers})"
    if node.detail and node.detail != node.label:
        detail = node.detail if len(node.detail) <= _DETAIL_WIDTH else node.detail[:89] + "…"
        text += f"  [{detail}]"
    return f"{text}  {marks}".rstrip()


def _marks(plan: Plan) -> dict[int, str]:
    """The marks each node carries: ⚠1 for the plan's first finding, and so on."""
    marks: dict[int, str] = {}
    for number, finding in enumerate(plan.findings, 1):
        mark = f"{_MARK.get(finding.severity, '⚠')}{number}"
        marks[finding.node_id] = (marks.get(finding.node_id, "") + " " + mark).strip()
    return marks


def tree_lines(plan: Plan) -> list[str]:
    """The plan as an indented tree, one node a line, findings marked on their nodes."""
    marks = _marks(plan)
    lines: list[str] = []

    def visit(node: PlanNode, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + node_line(node, marks.get(node.id, "")))
        below = prefix + ("" if top else ("   " if last else "│  "))
        for i, child in enumerate(node.children):
            visit(child, below, i == len(node.children) - 1, False)

    visit(plan.root, "", True, True)
    return lines


def plan_title(plan: Plan, number: int, count: int) -> str:
    """One line: which plan, where, how it was explained, how often the query ran."""
    parts = [f"Plan {number} of {count}", plan.vendor, plan.statement]
    if plan.executions:
        runs = counted(plan.executions, "run")
        slowest = f", slowest {plan.slowest_ms:,.2f} ms" if plan.slowest_ms is not None else ""
        parts.append(runs + slowest)
    if plan.total_cost is not None:
        parts.append(f"cost {plan.total_cost:,.2f}")
    return " · ".join(parts)


def finding_line(number: int, finding: PlanFinding) -> str:
    """A finding with the mark its node carries in the tree."""
    return f"{_MARK.get(finding.severity, '⚠')}{number} {finding.kind}: {finding.message}"


def whatif_line(whatif: WhatIf) -> str:
    """Before and after of one trial index, or why it was not tried."""
    head = f"What if {whatif.index.code} on {whatif.index.model}"
    if whatif.error:
        return f"{head}: not tried: {whatif.error}"
    cost = ""
    if whatif.cost_before is not None and whatif.cost_after is not None:
        cost = f" cost {whatif.cost_before:,.2f} → {whatif.cost_after:,.2f};"
    used = "the plan uses it" if whatif.uses_index else "the plan does not use it"
    return f"{head}:{cost} {used}."


def plan_text(plan: Plan, number: int = 1, count: int = 1) -> str:
    """Everything about one plan as text: title, SQL, tree, findings, what-ifs, notes."""
    lines = [plan_title(plan, number, count), summarize_sql(plan.sql), *tree_lines(plan)]
    lines += [finding_line(i, f) for i, f in enumerate(plan.findings, 1)]
    for whatif in plan.whatifs:
        lines.append(whatif_line(whatif))
        if whatif.after is not None:
            lines += ["    " + line for line in tree_lines(whatif.after)]
    lines += [f"Note: {note}" for note in plan.notes]
    return "\n".join(lines)


def error_line(error: ExplainError) -> str:
    """Why a query shape has no plan."""
    return f"Not explained ({error.vendor}): {summarize_sql(error.sql, 80)}: {error.message}"


def plans_text(plans: Sequence[Plan], errors: Sequence[ExplainError] = ()) -> str:
    """Every plan, then what could not be explained; "" when there is nothing."""
    blocks = [plan_text(plan, i, len(plans)) for i, plan in enumerate(plans, 1)]
    blocks += [error_line(error) for error in errors]
    return "\n\n".join(blocks)


def plans_html(plans: Sequence[Plan], errors: Sequence[ExplainError] = ()) -> str:
    """The plans as plain HTML: the tree in monospace, its lines whole; findings in a <ul>."""
    if not plans and not errors:
        return ""
    parts = ["<h4>Query plans</h4>"]
    for number, plan in enumerate(plans, 1):
        parts.append(f"<p><strong>{escape(plan_title(plan, number, len(plans)))}</strong><br>")
        parts.append(f"<code>{escape(summarize_sql(plan.sql))}</code></p>")
        parts.append(code_block("\n".join(tree_lines(plan)), wrap=False))
        items = [finding_line(i, f) for i, f in enumerate(plan.findings, 1)]
        items += [whatif_line(w) for w in plan.whatifs]
        items += [f"Note: {note}" for note in plan.notes]
        if items:
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        for whatif in plan.whatifs:
            if whatif.after is not None:
                tree = "\n".join(tree_lines(whatif.after))
                parts.append(
                    f"<p>With {escape(whatif.index.code)}:</p>{code_block(tree, wrap=False)}"
                )
    if errors:
        parts.append("<ul>" + "".join(f"<li>{escape(error_line(e))}</li>" for e in errors))
        parts.append("</ul>")
    return "<div>" + "".join(parts) + "</div>"


class PlanReport:
    """What %orm_explain returns: the plan (or why there is none) as text and plain HTML."""

    def __init__(self, plans: Sequence[Plan], errors: Sequence[ExplainError] = ()) -> None:
        self.plans = list(plans)
        self.errors = list(errors)

    @property
    def plan(self) -> Plan | None:
        """The plan, when there is one."""
        return self.plans[0] if self.plans else None

    @property
    def error(self) -> ExplainError | None:
        """Why there is no plan, when there is none."""
        return self.errors[0] if self.errors else None

    def __repr__(self) -> str:
        return plans_text(self.plans, self.errors)

    def _repr_html_(self) -> str:
        return plans_html(self.plans, self.errors)
