"""Findings for eager loads the block never read: a select_related() join or a
prefetch_related() query whose objects no code touched (kit.capture.eager finds them), on rows
the block looped over itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kit.analysis.findings import Finding, Places
from kit.analysis.fingerprint import sql_shape
from kit.analysis.reuse import loops_over_rows_at
from kit.analysis.wording import counted, noun, sentence
from kit.capture.eager_records import EagerLoad
from kit.capture.records import QueryRecord

__all__ = ["find_unused_eager_loads", "without_lookups"]


def find_unused_eager_loads(
    loads: Sequence[EagerLoad],
    records: Sequence[QueryRecord],
    places: Places,
    file_text: Callable[[str], str | None] | None = None,
) -> list[Finding]:
    """One low-severity finding per (line, call) with lookups never read, naming what to drop;
    file_text reads the source, to find the line that calls select_related() (it may be above
    the line that evaluated the queryset) and write it without them."""
    by_call: dict[tuple[str | None, str, str], list[EagerLoad]] = {}
    for load in loads:
        # Only rows the block looped over: rows it kept in a variable or returned may be read
        # after it (a later cell, the template of a view), which the block cannot see.
        source = file_text(load.source_file) if file_text and load.source_file else None
        if loops_over_rows_at(source, load.source_lineno, places.text(load)):  # type: ignore[arg-type]
            by_call.setdefault((load.source, load.kind, load.model), []).append(load)
    findings = []
    for (_, kind, model), members in by_call.items():
        findings.append(_finding(kind, model, members, records, places, file_text))
    return findings


def _finding(
    kind: str,
    model: str,
    members: list[EagerLoad],
    records: Sequence[QueryRecord],
    places: Places,
    file_text: Callable[[str], str | None] | None,
) -> Finding:
    first = members[0]
    unused = list(dict.fromkeys(load.unused for load in members))
    owner = model.rpartition(".")[2]
    ids = _record_ids(first, kind, unused, records)
    names = ", ".join(repr(u) for u in unused)
    if kind == "select_related":
        columns = sum(load.columns for load in members)
        cost = (
            f"joins {counted(len(unused), 'relation')} and loads {columns:,} more columns for "
            f"each of the {first.rows:,} {owner} rows"
        )
    else:
        cost = (
            f"runs {len(ids)} more {noun(len(ids), 'query')} for the {first.rows:,} {owner} rows"
        )
    where = places.where(first)  # type: ignore[arg-type]
    line, lineno = _calling_line(first, kind, unused, places, file_text)
    if lineno is not None and lineno != first.source_lineno:
        where += f" (the queryset's {kind}() is on line {lineno})"
    return Finding(
        kind="unused_eager_load",
        severity="low",
        message=sentence(
            f"{where}: {kind}({names}) {cost}, and the block never reads "
            f"{_attributes(owner, unused)}: drop {_plural(unused)} from {kind}()"
        ),
        record_ids=ids,
        suggestion=without_lookups(line, kind, unused) if line else None,
        line=first.line,
    )


def _attributes(owner: str, unused: list[str]) -> str:
    return " or ".join(f"{owner.lower()}.{u.replace('__', '.')}" for u in unused)


def _plural(unused: list[str]) -> str:
    return "it" if len(unused) == 1 else "them"


def _record_ids(
    load: EagerLoad, kind: str, unused: list[str], records: Sequence[QueryRecord]
) -> tuple[int, ...]:
    """The query that evaluated the queryset; for a prefetch, the queries of the unused
    lookups (each named by the relation it followed)."""
    here = [r for r in records if r.source is not None and r.source == load.source]
    if kind == "select_related":
        return tuple(
            r.id for r in here if r.model == load.model and sql_shape(r.sql).kind == "SELECT"
        )[:1]
    steps = {u.rpartition("__")[2] for u in unused}
    return tuple(
        r.id
        for r in here
        if r.trigger == "prefetch" and r.relation is not None and r.relation.field in steps
    )


def _calling_line(
    load: EagerLoad,
    kind: str,
    unused: list[str],
    places: Places,
    file_text: Callable[[str], str | None] | None,
) -> tuple[str | None, int | None]:
    """The line that calls kind() with the unused lookups: the evaluating line or one of the
    _LOOK_BACK lines above it; (its text, its number), else (None, None)."""
    needle = f".{kind}("
    text = places.text(load)  # type: ignore[arg-type]
    if text and needle in text:
        return text, load.source_lineno
    source = file_text(load.source_file) if file_text and load.source_file else None
    if not source or load.source_lineno is None:
        return None, None
    lines = source.splitlines()
    for number in range(load.source_lineno - 1, max(0, load.source_lineno - _LOOK_BACK) - 1, -1):
        candidate = lines[number - 1] if 0 < number <= len(lines) else ""
        if needle in candidate and all(u.partition("__")[0] in candidate for u in unused):
            return candidate.strip(), number
    return None, None


# How far above the evaluating line the queryset's select_related() call is looked for.
_LOOK_BACK = 20


# A string argument of a call: 'author' or "author__profile".
_STRING = r"""\s*(['"])([\w]+)\1\s*"""


def without_lookups(line: str, kind: str, unused: list[str]) -> str | None:
    """The line with the unused lookups taken out of its select_related(...) or
    prefetch_related(...) call (the call dropped when none is left), else None."""
    call = re.search(rf"\.{kind}\(([^()]*)\)", line)
    if call is None:
        return None
    arguments = [a for a in call.group(1).split(",") if a.strip()]
    names = [re.fullmatch(_STRING, a) for a in arguments]
    if not all(names):
        return None  # Prefetch objects, variables: not rewritten
    kept = [
        a.strip() for a, m in zip(arguments, names, strict=True) if m and m.group(2) not in unused
    ]
    if len(kept) == len(arguments):
        return None
    replacement = f".{kind}({', '.join(kept)})" if kept else ""
    return line[: call.start()] + replacement + line[call.end() :]
