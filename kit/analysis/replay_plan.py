"""Which fixes a replay can try, each with its finding, and why the others cannot be tried.

A fix can be put in the cell when its root queryset is written there (kit.analysis.rewrite
finds it on the root query's line). A root queryset built elsewhere (a view, a serializer, a
module, another cell) is fixed where it lives: the finding then shows that file's line before
and after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kit.analysis.findings import Finding
from kit.analysis.fixes import QuerysetFix
from kit.analysis.location import CellNumbers, file_place
from kit.analysis.rewrite import RootRewrite, same_line_diff
from kit.capture.records import QueryRecord

__all__ = ["FixToTry", "finding_of", "plan_replays"]


@dataclass(frozen=True, slots=True)
class FixToTry:
    """A fix and its finding; rewrite is None when it cannot go in the cell (reason says why)."""

    finding: Finding
    code: str
    rewrite: RootRewrite | None
    reason: str = ""


def finding_of(fix: QuerysetFix, findings: Sequence[Finding]) -> Finding | None:
    """The N+1 finding written from this fix: the one holding all of its groups' queries."""
    ids = {i for group in fix.group_ids for i in group}
    return next((f for f in findings if f.kind == "n_plus_one" and ids <= set(f.record_ids)), None)


def plan_replays(
    fixes: Sequence[QuerysetFix],
    findings: Sequence[Finding],
    records: Sequence[QueryRecord],
    cell_filename: str | None,
    source_text: Callable[[QueryRecord], str | None],
    cells: CellNumbers | None = None,
) -> list[FixToTry]:
    """One FixToTry per fix that has a finding, in the findings' order (worst first)."""
    by_id = {record.id: record for record in records}
    planned = []
    for fix in fixes:
        finding = finding_of(fix, findings)
        if finding is None:
            continue
        root = by_id[fix.root_id]
        if root.source_file is not None and root.source_file != cell_filename:
            reason = _outside(root, fix, finding, source_text(root), cells or {})
            planned.append(FixToTry(finding, fix.code, None, reason))
        elif root.line is None:
            reason = "the root query has no line in the cell"
            planned.append(FixToTry(finding, fix.code, None, reason))
        else:
            rewrite = RootRewrite(root.line, fix.expression, fix.code)
            planned.append(FixToTry(finding, fix.code, rewrite))
    order = {id(f): n for n, f in enumerate(findings)}
    return sorted(planned, key=lambda p: order.get(id(p.finding), len(order)))


def _outside(
    root: QueryRecord, fix: QuerysetFix, finding: Finding, text: str | None, cells: CellNumbers
) -> str:
    place = file_place(root.source_file, root.source_lineno, cells)
    diff = same_line_diff(text, fix.expression, fix.code)
    where = f"the root queryset is built in {place}, outside the cell"
    if diff is not None:
        before, after = diff
        return f"{where}; change it there:\n{place}\n- {before.strip()}\n+ {after.strip()}"
    if finding.suggestion:
        return f"{where}; change it there to:\n{finding.suggestion}"
    return f"{where}; change it there"
