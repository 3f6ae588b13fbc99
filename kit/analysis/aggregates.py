"""Findings for totals computed one query at a time: several count()s, sum() over rows."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from kit.analysis.findings import Finding, Places
from kit.analysis.fingerprint import sql_shape
from kit.analysis.rendered import evaluated_by_django
from kit.analysis.snippets import filter_keywords, parse_line
from kit.capture.records import QueryRecord

__all__ = ["find_separate_aggregates"]

_AGGREGATE_TRIGGERS = frozenset({"count", "aggregate", "iteration"})


@dataclass(frozen=True, slots=True)
class _Metric:
    """One line's total: `name = <Model>.objects.filter(...).count()` and its kind."""

    name: str
    manager: str
    filters: tuple[tuple[str, str], ...]
    expression: str  # Count('pk') or Sum('view_count')


def find_separate_aggregates(
    records: Iterable[QueryRecord], places: Places, skip: frozenset[int] = frozenset()
) -> list[Finding]:
    """One finding per model whose totals came from 2+ lines, each its own query."""
    by_model: dict[str, list[QueryRecord]] = {}
    for record in records:
        if record.id in skip or record.relation is not None or record.model is None:
            continue
        if evaluated_by_django(record):
            continue  # a paginator's or the admin's count, not the user's line
        if record.evaluation not in _AGGREGATE_TRIGGERS:
            continue
        if record.evaluation == "iteration" and _summed_column(places.text(record)) is None:
            continue  # an ordinary loop, not sum(qs.values_list(...))
        if sql_shape(record.sql).kind == "SELECT":
            by_model.setdefault(record.model, []).append(record)
    findings = []
    for model, members in by_model.items():
        lines = list(dict.fromkeys(places.where(r) for r in members))
        if len(lines) < 2:
            continue
        metrics = [_metric(places.text(r)) for r in members]
        suggestion = _combined(metrics) if all(metrics) else None
        findings.append(
            Finding(
                kind="aggregates",
                severity="low",
                message=f"{len(members)} queries compute totals over {model} one at a time "
                f"({', '.join(lines)}): one aggregate() with filtered aggregates computes "
                "them in a single query.",
                record_ids=tuple(r.id for r in members),
                suggestion=suggestion,
                line=members[0].line,
                notes=("Sum() gives None, not 0, when no row matches: add `or 0`.",)
                if suggestion and "Sum(" in suggestion
                else (),
            )
        )
    return findings


def _summed_column(line: str | None) -> tuple[ast.expr, str] | None:
    """For `sum(<qs>.values_list('col', flat=True))`: (<qs> node, 'col'), else None."""
    parsed = parse_line(line)
    if parsed is None:
        return None
    for node in ast.walk(parsed[1]):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "sum"
            and len(node.args) == 1
        ):
            continue
        inner = node.args[0]
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "values_list"
            and len(inner.args) == 1
            and isinstance(inner.args[0], ast.Constant)
            and isinstance(inner.args[0].value, str)
        ):
            return inner.func.value, inner.args[0].value
    return None


def _metric(line: str | None) -> _Metric | None:
    """Read `name = <Model>.objects[.filter(k=v)...].count()` or `= sum(...values_list())`."""
    parsed = parse_line(line)
    if parsed is None:
        return None
    text, tree = parsed
    statement = tree.body[0] if len(tree.body) == 1 else None
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return None
    value = statement.value
    summed = _summed_column(text)
    is_sum = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "sum"
    if summed is not None and is_sum:
        queryset, expression = summed[0], f"Sum({summed[1]!r})"
    elif (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "count"
        and not value.args
    ):
        queryset, expression = value.func.value, "Count('pk')"
    else:
        return None
    source = ast.get_source_segment(text, queryset) or ""
    manager, _, chain = source.partition(".objects")
    chain = chain.removeprefix(".all()")
    filters = filter_keywords(chain) if chain else []
    if not manager.isidentifier() or filters is None:
        return None
    name = statement.targets[0].id
    return _Metric(name, f"{manager}.objects", tuple(filters), expression)


def _combined(metrics: list[_Metric | None]) -> str | None:
    """One aggregate() call: filters all metrics share stay in filter(), the rest become Q."""
    known = [m for m in metrics if m is not None]
    if len({m.manager for m in known}) != 1 or len({m.name for m in known}) != len(known):
        return None
    common = [f for f in known[0].filters if all(f in m.filters for m in known)]
    parts = []
    for metric in known:
        rest = [f for f in metric.filters if f not in common]
        condition = ", ".join(f"{k}={v}" for k, v in rest)
        expression = (
            metric.expression[:-1] + f", filter=Q({condition}))" if rest else metric.expression
        )
        parts.append(f"{metric.name}={expression}")
    where = f".filter({', '.join(f'{k}={v}' for k, v in common)})" if common else ""
    return f"{known[0].manager}{where}.aggregate({', '.join(parts)})"
