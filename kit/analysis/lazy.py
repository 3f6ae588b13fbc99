"""Findings for querysets evaluated the expensive way: `if qs:`, `len(qs)`, a notebook repr."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from kit.analysis.findings import Finding, Places
from kit.analysis.fingerprint import sql_shape
from kit.analysis.rendered import evaluated_by_django
from kit.analysis.snippets import parse_line, with_count, with_exists
from kit.analysis.wording import sentence
from kit.capture.records import QueryRecord

__all__ = ["find_lazy_evaluations"]


def find_lazy_evaluations(records: Iterable[QueryRecord], places: Places) -> list[Finding]:
    """One finding per line whose queryset bool(), len(), a repr or an existence count() ran.

    Not for what Django evaluated while handling a request (a template's {% if %}, a
    paginator's count, the admin's len()): the user's line did not ask for it.
    """
    by_line: dict[tuple[str, str | None], list[QueryRecord]] = {}
    for record in records:
        if record.evaluation in ("bool", "len", "repr", "count") and not evaluated_by_django(
            record
        ):
            shape = sql_shape(record.sql)
            # A LIMIT (qs[:1], first()) already loads little: nothing to gain there.
            if record.evaluation == "repr" or (
                shape.kind == "SELECT" and " LIMIT " not in shape.fingerprint
            ):
                by_line.setdefault((record.evaluation, record.source), []).append(record)
    findings = []
    for (trigger, _), members in by_line.items():
        finding = _BUILDERS[trigger](members, places)
        if finding is not None:
            findings.append(finding)
    return findings


def _subject(line: str | None) -> tuple[str | None, bool]:
    """The tested expression of `if X:` / `len(X)` and whether it is a throwaway queryset.

    A name may be iterated later, reusing the rows; a call chain is evaluated and dropped.
    """
    parsed = parse_line(line)
    if parsed is None:
        return None, False
    text, tree = parsed
    for node in ast.walk(tree):
        subject: ast.expr | None = None
        if isinstance(node, ast.If | ast.While):
            subject = node.test
            if isinstance(subject, ast.UnaryOp) and isinstance(subject.op, ast.Not):
                subject = subject.operand
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("len", "bool")
            and len(node.args) == 1
        ):
            subject = node.args[0]
        if subject is not None and not isinstance(subject, ast.Compare | ast.BoolOp):
            return ast.get_source_segment(text, subject), isinstance(subject, ast.Call)
    return None, False


def _bool(members: list[QueryRecord], places: Places) -> Finding:
    record = members[0]
    where, line = places.where(record), places.text(record)
    subject, throwaway = _subject(line)
    shown = f"`{line}`" if line else "a truth test"
    table = ", ".join(sql_shape(record.sql).tables) or "the table"
    if throwaway:
        tail = "and throws them away: ask the database with .exists() instead."
    else:
        tail = (
            "to test whether there is one: use .exists() when the rows are not used "
            "afterwards (if they are, this one query also loads them, which is fine)."
        )
    return Finding(
        kind="bool",
        severity="medium",
        message=sentence(f"{where}: {shown} loads every matching row of {table} {tail}"),
        record_ids=tuple(r.id for r in members),
        suggestion=with_exists(line) or (f"{subject}.exists()" if subject else None),
        line=record.line,
    )


def _len(members: list[QueryRecord], places: Places) -> Finding:
    record = members[0]
    where, line = places.where(record), places.text(record)
    _, throwaway = _subject(line)
    shown = f"`{line}`" if line else "len()"
    table = ", ".join(sql_shape(record.sql).tables) or "the table"
    tail = (
        "only to count them: ask the database with .count() instead."
        if throwaway
        else "to count them: use .count() when the rows are not used afterwards."
    )
    return Finding(
        kind="len",
        severity="medium",
        message=sentence(f"{where}: {shown} loads every row of {table} {tail}"),
        record_ids=tuple(r.id for r in members),
        suggestion=with_count(line),
        line=record.line,
    )


def _count(members: list[QueryRecord], places: Places) -> Finding | None:
    record = members[0]
    line = places.text(record)
    better = _existence_count(line)
    if better is None:
        return None
    return Finding(
        kind="count",
        severity="low",
        message=sentence(
            f"{places.where(record)}: `{line}` counts every matching row only to test "
            "whether there is one: .exists() stops at the first."
        ),
        record_ids=tuple(r.id for r in members),
        suggestion=better,
        line=record.line,
    )


def _existence_count(line: str | None) -> str | None:
    """`if qs.count() > 0:` / `if qs.count():` -> `if qs.exists():`, else None."""
    parsed = parse_line(line)
    if parsed is None:
        return None
    text, tree = parsed
    statement = tree.body[0] if tree.body else None
    if not isinstance(statement, ast.If | ast.While):
        return None
    test = statement.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        right = test.comparators[0]
        zero = isinstance(right, ast.Constant) and right.value == 0
        if not (zero and isinstance(test.ops[0], ast.Gt | ast.NotEq)):
            return None
        test = test.left
    if not (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "count"
        and not test.args
    ):
        return None
    target = ast.get_source_segment(text, test.func.value) or ""
    start = statement.test.col_offset
    end = statement.test.end_col_offset or start
    data = text.encode()
    return (data[:start] + f"{target}.exists()".encode() + data[end:]).decode()


def _repr(members: list[QueryRecord], places: Places) -> Finding:
    record = members[0]
    return Finding(
        kind="repr",
        severity="info",
        message=sentence(
            f"{places.where(record)}: displaying a QuerySet ran it with LIMIT 21 (the "
            "notebook shows at most 20 rows); those rows are not kept, so using the queryset "
            "afterwards queries again."
        ),
        record_ids=tuple(r.id for r in members),
        line=record.line,
    )


_BUILDERS = {"bool": _bool, "len": _len, "count": _count, "repr": _repr}
