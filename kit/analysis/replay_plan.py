"""Which fixes a replay can try, each with its finding, and why the others cannot be tried.

A fix can be put in the cell when its root queryset is written there (kit.analysis.cell_rewrite
finds it on the root query's line). A root queryset built elsewhere (a view, a serializer, a
module, another cell) is fixed where it lives: the finding then shows that file's line before
and after.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kit.analysis.cell_rewrite import RootRewrite, same_line_diff
from kit.analysis.findings import Finding
from kit.analysis.fingerprint import sql_shape
from kit.analysis.fixes import QuerysetFix
from kit.analysis.location import CellNumbers, file_place
from kit.capture.records import QueryRecord

__all__ = ["FixToTry", "finding_of", "plan_replays", "reads_of", "tables_written"]

# A fix's note that says how the loop must read the fetched data (kit.analysis.fixes):
# "read post.comments_count instead of post.comments.count()", "use post.prefetched_x instead
# of post.x.filter(...)[:5]: a filtered, ordered or sliced related queryset is not served...".
# A note may start with why ("comments is prefetched already, but ... queries again: use ...").
_READ_NOTE = re.compile(r"(?:^|: )(?:read|use) (?P<new>\S+) instead of (?P<old>.+)$")

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "DDL"})


def reads_of(notes: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(old, new) expressions from a fix's notes on what the loop reads instead; notes whose
    expressions are not code (an elided "...") are left out."""
    found = []
    for note in notes:
        match = _READ_NOTE.search(note)
        if match is None or not _parses(match["new"]):
            continue
        old = _longest_expression(match["old"])
        if old is not None:
            found.append((old, match["new"]))
    return tuple(found)


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return "..." not in text


def _longest_expression(text: str) -> str | None:
    """The longest head of text, cut at the end or before a ":", that is an expression (a
    note's explanation follows a colon; a slice has colons of its own)."""
    cuts = [len(text), *(i for i in range(len(text) - 1, 0, -1) if text[i] == ":")]
    return next((text[:cut] for cut in cuts if _parses(text[:cut])), None)


def tables_written(sql: str) -> tuple[str, ...]:
    """The tables a statement writes (INSERT, UPDATE, DELETE, DDL); none for a read (the
    replay's safety check asks MySQL whether their engine rolls back)."""
    shape = sql_shape(sql)
    return shape.tables if shape.kind in _WRITES else ()


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
            reads = reads_of(fix.notes)
            rewrite = RootRewrite(root.line, fix.expression, fix.code, reads, fix.imports)
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
