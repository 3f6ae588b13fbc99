"""MySQL 8: the indented tree text of EXPLAIN ANALYZE (and FORMAT=TREE) into one plan tree."""

from __future__ import annotations

import dataclasses
import re

from kit.explain.plan import (
    AGGREGATE,
    FILTER,
    FULL_SCAN,
    INDEX_SCAN,
    JOIN,
    LIMIT,
    OTHER,
    SORT,
    TEMP,
    PlanNode,
    number,
)

_NUM = r"[-+\d.e]+"
_LINE = re.compile(r"^(?P<indent> *)-> (?P<text>.*)$")
_ACTUAL = re.compile(
    rf"\s*\((?:actual time=(?P<first>{_NUM})\.\.(?P<last>{_NUM}) rows=(?P<rows>{_NUM}) "
    rf"loops=(?P<loops>{_NUM})|(?P<never>never executed))\)$"
)
_ESTIMATE = re.compile(rf"\s*\((?:cost=(?:{_NUM}\.\.)?(?P<cost>{_NUM}) )?rows=(?P<rows>{_NUM})\)$")
_TABLE = r"(?P<relation>\S+)"
_INDEX = r"(?: using (?P<index>\S+))?"
# Ordered: the first pattern that matches the label decides the node's category.
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), category)
    for pattern, category in (
        (r"^Table scan on <temporary>", OTHER),  # reads back the temporary table: see below it
        (rf"^Table scan on {_TABLE}", FULL_SCAN),
        (rf"^(?:Covering )?index scan on {_TABLE}{_INDEX}", FULL_SCAN),  # all rows, index order
        (
            rf"^(?:Single-row )?(?:covering )?index (?:lookup|range scan) on {_TABLE}{_INDEX}",
            INDEX_SCAN,
        ),
        (rf"^(?:Constant row from|Full-text index search on) {_TABLE}{_INDEX}", INDEX_SCAN),
        (r"^Filter:", FILTER),
        (r"^Sort", SORT),
        (r"^(?:Nested loop|.*hash (?:semi|anti)?join)", JOIN),
        (r"^(?:Aggregate using temporary table|Temporary table|Materialize)", TEMP),
        (r"^(?:Group aggregate|Aggregate|Group \(no aggregates\))", AGGREGATE),
        (r"^Limit", LIMIT),
    )
)
_OPERATION_END = re.compile(r" on | using |: | \(")


def parse_tree(text: str) -> PlanNode:
    """The plan tree of EXPLAIN ANALYZE's text; several top-level lines share one root."""
    stack: list[tuple[int, list[PlanNode], dict[str, object]]] = []
    top: list[PlanNode] = []
    for line in text.splitlines():
        match = _LINE.match(line.rstrip())
        if not match:
            continue  # blank lines, or the tail of a label wrapped by a client
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            _close(stack, top)
        stack.append((indent, [], _fields(match["text"])))
    while stack:
        _close(stack, top)
    if not top:
        raise ValueError("no '->' lines: this is not EXPLAIN ANALYZE tree output")
    if len(top) == 1:
        return top[0]
    return PlanNode(operation="query", category=OTHER, children=tuple(top))


def _close(
    stack: list[tuple[int, list[PlanNode], dict[str, object]]], top: list[PlanNode]
) -> None:
    """Finish the innermost open line now that its children are known."""
    _, children, fields = stack.pop()
    node = _with_children(PlanNode(**fields), tuple(children))  # type: ignore[arg-type]
    (stack[-1][1] if stack else top).append(node)


def _fields(text: str) -> dict[str, object]:
    """A node's fields from one line: label, estimate (cost, rows), actuals (time, rows, loops)."""
    fields: dict[str, object] = {}
    actual = _ACTUAL.search(text)
    if actual:
        text = text[: actual.start()]
        if actual["never"]:
            fields.update(actual_rows=0.0, loops=0.0, total_ms=0.0)
        else:
            loops = number(actual["loops"]) or 0.0
            fields.update(
                actual_rows=number(actual["rows"]),
                loops=loops,
                total_ms=(number(actual["last"]) or 0.0) * loops,
            )
    estimate = _ESTIMATE.search(text)
    if estimate:
        text = text[: estimate.start()]
        fields.update(
            estimated_rows=number(estimate["rows"]), estimated_cost=number(estimate["cost"])
        )
    label = text.strip()
    fields.update(operation=_OPERATION_END.split(label, maxsplit=1)[0], detail=label)
    for pattern, category in _KINDS:
        kind = pattern.match(label)
        if kind:
            groups = kind.groupdict()
            fields.update(category=category, relation=groups.get("relation"))
            fields.update(index=groups.get("index"))
            break
    return fields


def _with_children(node: PlanNode, children: tuple[PlanNode, ...]) -> PlanNode:
    """Attach children; a filter learns what it discarded, a nested loop how often it loops."""
    changes: dict[str, object] = {"children": children}
    if node.category == FILTER and children:
        source = children[0]
        changes["rows_examined"] = source.estimated_rows
        if source.actual_rows is not None and node.actual_rows is not None:
            changes["rows_removed"] = max(0.0, source.actual_rows - node.actual_rows)
    if node.category == JOIN and node.operation.lower().startswith("nested loop") and children:
        outer_rows = children[0].estimated_rows
        changes["children"] = (
            children[0],
            *(dataclasses.replace(c, estimated_loops=outer_rows) for c in children[1:]),
        )
    return dataclasses.replace(node, **changes)  # type: ignore[arg-type]
