"""Paste the kit's fixes and check them: valid code, the same rows, the N+1 gone.

A case is a piece of module-level code that binds `result` (what the loop computed). run()
executes it under kit.profile() with its own file name in linecache, as a cell's or a file's
code is, so the analysis reads its statements. check() then takes each N+1 finding and:

- evaluates its suggestion in the namespace of the code profiled: a QuerySet or RawQuerySet
  (or, for the calls-alone form, those calls on the queryset the finding points at), with the
  same rows, in the same order, as the expression it replaces;
- pastes it: the expression replaced in the code, at its place in the syntax tree, and runs
  the code again: no N+1 finding left, the same `result`, and at most `queries` queries.
"""

from __future__ import annotations

import ast
import itertools
import linecache
from dataclasses import dataclass, field
from typing import Any

from django.db.models.query import QuerySet, RawQuerySet

import kit
from kit.analysis.findings import Finding

__all__ = ["Pasted", "check", "paste", "run"]

_numbers = itertools.count()
_PREAMBLE = (
    "from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum\n"
    "from django.db.models import prefetch_related_objects\n"
)


def run(code: str, namespace: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """(profile, namespace) of the code run once under kit.profile()."""
    filename = f"<fix-harness-{next(_numbers)}>"
    source = _PREAMBLE + code
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace or {})
    compiled = compile(source, filename, "exec")
    with kit.profile() as profile:
        exec(compiled, namespace)
    return profile, namespace


def _same_expression(node: ast.AST, expression: str) -> bool:
    return ast.dump(node) == ast.dump(ast.parse(expression, mode="eval").body)


def paste(code: str, finding: Finding) -> str:
    """The code with the finding's expression replaced by its suggestion (by syntax tree)."""
    assert finding.suggestion, finding.message
    tree = ast.parse(code)
    lines = code.splitlines(True)
    if not finding.expression:  # the calls alone: added where the finding says it was built
        raise AssertionError(f"no expression to replace: {finding.message}")
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and _same_expression(node, finding.expression):
            start = sum(len(line) for line in lines[: node.lineno - 1]) + node.col_offset
            assert node.end_lineno is not None and node.end_col_offset is not None
            end = sum(len(line) for line in lines[: node.end_lineno - 1]) + node.end_col_offset
            return code[:start] + f"({finding.suggestion})" + code[end:]
    raise AssertionError(f"{finding.expression!r} is not in the code")


def _rows(value: Any) -> list[Any]:
    return [getattr(row, "pk", row) for row in value]


@dataclass
class Pasted:
    """What check() saw: the findings before, the profile and result after pasting."""

    findings: list[Finding]
    before: Any
    after: Any
    code: str
    namespace: dict[str, Any] = field(default_factory=dict)


def check(
    code: str,
    namespace: dict[str, Any] | None = None,
    queries: int = 4,
    edits: dict[str, str] | None = None,
) -> Pasted:
    """Run code, paste every N+1 fix, run again: raises AssertionError on any failure.

    edits: what the findings' notes say the loop must read instead (old text -> new), each
    checked to appear in a note, applied after pasting.
    """
    before, ns = run(code, namespace)
    findings = [f for f in before.findings if f.kind == "n_plus_one"]
    assert findings, f"no N+1 found in:\n{code}"
    pasted = code
    for finding in findings:
        suggestion = finding.suggestion
        assert suggestion, finding.message
        assert "..." not in suggestion, suggestion
        if finding.expression:
            value = eval(compile(suggestion, "<suggestion>", "eval"), ns)
            original = eval(finding.expression, ns)
            assert isinstance(value, QuerySet | RawQuerySet), (suggestion, type(value))
            assert _rows(value) == _rows(original), suggestion
            pasted = paste(pasted, finding)
        else:
            raise AssertionError(f"not pasteable: {finding.message}")
    notes = " ".join(note for f in findings for note in f.notes)
    for old, new in (edits or {}).items():
        assert new in notes and old in pasted, (new, notes)
        pasted = pasted.replace(old, new)
    after, ns_after = run(pasted, namespace)
    left = [f.message for f in after.findings if f.kind == "n_plus_one"]
    assert not left, (pasted, left)
    assert ns_after["result"] == ns["result"], pasted
    assert after.query_count <= queries, (
        pasted,
        after.query_count,
        [q.sql for q in after.queries],
    )
    return Pasted(findings, before, after, pasted, ns_after)
