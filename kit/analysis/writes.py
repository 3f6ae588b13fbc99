"""Write loops: save(), create(), delete(), get_or_create(), update_or_create(), an M2M add()
or remove() called once per row, each as one finding with its bulk form.

A loop's queries are found by what the capture recorded as their trigger (the ORM call the
user's line made) and where they came from: one finding per (database, line, call), whatever
the statements (a delete() cascades to several tables, a get_or_create() reads then inserts
inside a savepoint). The SAVEPOINT/RELEASE pairs such a call opens, or an atomic() around each
row opens, are counted in the finding of the writes they wrap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kit.analysis.batches import rows_per_statement
from kit.analysis.findings import Finding, Places
from kit.analysis.fingerprint import sql_shape
from kit.analysis.view_fixes import FileText
from kit.analysis.wording import sentence
from kit.analysis.write_advice import advise
from kit.analysis.write_source import WriteSite, read_write_site
from kit.capture.records import QueryRecord

__all__ = ["WRITE_TRIGGERS", "WriteLoops", "find_write_loops"]

# The ORM calls that write (kit.capture.codes.TRIGGERS), and the method names on the user's
# line that make them.
WRITE_TRIGGERS = frozenset(
    {
        "save",
        "create",
        "delete",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "update",
        "add",
        "remove",
    }
)
_SAVEPOINTS = frozenset({"SAVEPOINT", "RELEASE", "ROLLBACK"})
_DATA = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
_CALL_TEXT = {
    "save": "{model}.save()",
    "create": "{model}.objects.create()",
    "delete": "{model}.delete()",
    "get_or_create": "{model}.objects.get_or_create()",
    "update_or_create": "{model}.objects.update_or_create()",
    "bulk_create": "{model}.objects.bulk_create()",
    "bulk_update": "{model}.objects.bulk_update()",
    "update": "{model} QuerySet.update()",
    "add": "{field}.add()",
    "remove": "{field}.remove()",
}


def sync_name(trigger: str | None) -> str | None:
    """The sync ORM call an async one runs: "acreate" -> "create", "asave" -> "save", "aadd"
    -> "add"; any other trigger as it is."""
    if trigger is not None and trigger.startswith("a") and trigger[1:] in WRITE_TRIGGERS:
        return trigger[1:]
    return trigger


@dataclass(frozen=True)
class WriteLoops:
    """The write-loop findings and every query id they account for."""

    findings: list[Finding]
    record_ids: frozenset[int]


def _place(record: QueryRecord) -> str | None:
    return record.rendered_from or record.source


def find_write_loops(
    records: Sequence[QueryRecord],
    places: Places,
    threshold: int,
    file_text: FileText | None = None,
) -> WriteLoops:
    """One finding per line that ran a write call `threshold` times or more, one row each."""
    clusters: dict[tuple[str, str, str], list[QueryRecord]] = {}
    for record in records:
        place = _place(record)
        trigger = sync_name(record.trigger)
        if trigger in WRITE_TRIGGERS and place is not None:
            clusters.setdefault((record.alias, place, trigger), []).append(record)
    loops = []
    for (_, _, trigger), members in clusters.items():
        calls = _calls(members)
        if calls >= threshold:
            loops.append((trigger, members, calls))
    extra = _atomic_savepoints(records, [m for _, m, _ in loops], threshold)
    findings = [
        _finding(trigger, members, calls, extra.get(i, []), places, file_text, records)
        for i, (trigger, members, calls) in enumerate(loops)
    ]
    covered = frozenset(i for f in findings for i in f.record_ids)
    return WriteLoops(findings, covered)


def _calls(members: list[QueryRecord]) -> int:
    """How many calls sent these statements: each call starts with the same statement, so
    the count of the first one, when it names one row (a bulk call's batches name many)."""
    data = [r for r in members if sql_shape(r.sql).kind in _DATA]
    if not data or rows_per_statement(data[0]) > 1:
        return 0
    first = sql_shape(data[0].sql).fingerprint
    return sum(1 for r in data if sql_shape(r.sql).fingerprint == first)


def _atomic_savepoints(
    records: Sequence[QueryRecord], loops: list[list[QueryRecord]], threshold: int
) -> dict[int, list[QueryRecord]]:
    """Savepoints an atomic() per row opened around a write loop's calls, by loop index."""
    by_place: dict[tuple[str, str | None], list[QueryRecord]] = {}
    for record in records:
        if record.trigger is None and sql_shape(record.sql).kind in _SAVEPOINTS:
            by_place.setdefault((record.alias, _place(record)), []).append(record)
    attached: dict[int, list[QueryRecord]] = {}
    for members in by_place.values():
        opened = sum(1 for r in members if sql_shape(r.sql).kind == "SAVEPOINT")
        if opened < threshold or not loops:
            continue
        first, last = members[0].id, members[-1].id
        # The loop most of whose statements run between the first savepoint and the last.
        inside = [sum(1 for r in loop if first < r.id < last) for loop in loops]
        best = max(range(len(loops)), key=inside.__getitem__)
        if inside[best]:
            attached.setdefault(best, []).extend(members)
    return attached


def _finding(
    trigger: str,
    members: list[QueryRecord],
    calls: int,
    atomic: list[QueryRecord],
    places: Places,
    file_text: FileText | None,
    records: Sequence[QueryRecord],
) -> Finding:
    first = members[0]
    model_label = Counter(r.model for r in members if r.model).most_common(1)
    model = model_label[0][0].rpartition(".")[2] if model_label else "the model"
    relation = next((r.relation for r in members if r.relation is not None), None)
    field = f"{relation.model.rpartition('.')[2]}.{relation.field}" if relation else None
    data = [r for r in members if sql_shape(r.sql).kind in _DATA]
    savepoints = [r for r in members if sql_shape(r.sql).kind in _SAVEPOINTS] + atomic
    main = Counter(r.sql for r in data if sql_shape(r.sql).kind != "SELECT").most_common(1)
    sql = main[0][0] if main else data[0].sql
    site = _site(first, trigger, file_text)
    if site is not None and site.loop_line is not None:
        # The loop's iterable was a queryset when the capture saw one evaluated on its line.
        evaluated = any(
            r.source_file == first.source_file
            and r.source_lineno == site.loop_line
            and r.trigger == "iteration"
            for r in records
        )
        site = replace(site, iter_is_queryset=evaluated)
    lookup = next((r.sql for r in data if sql_shape(r.sql).kind == "SELECT"), None)
    advice = advise(trigger, model, sql, site, field, lookup)
    call = _CALL_TEXT[trigger].format(model=model, field=field or f"{model} manager")
    tables = sorted({t for r in data for t in sql_shape(r.sql).tables})
    what = _counted_statements(data)
    overhead = ""
    if savepoints:
        where = "atomic() per row" if atomic else trigger + "()"
        overhead = (
            f", plus {len(savepoints):,} SAVEPOINT/RELEASE statements from {where}, which "
            "one transaction around the bulk call does without"
        )
    message = sentence(
        f"{places.where(first)} calls {call} {calls:,} times, once per row: {what} on "
        f"{', '.join(tables)}{overhead}. {advice.advice}"
    )
    return Finding(
        kind="write_loop",
        severity="high",
        message=message,
        record_ids=tuple(sorted(r.id for r in [*members, *atomic])),
        suggestion=advice.suggestion,
        line=first.line,
        notes=advice.notes,
    )


def _counted_statements(data: list[QueryRecord]) -> str:
    kinds = Counter(sql_shape(r.sql).kind for r in data)
    return ", ".join(
        f"{n:,} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(kinds.items(), key=_order)
    )


def _order(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _site(record: QueryRecord, trigger: str, file_text: FileText | None) -> WriteSite | None:
    if file_text is None or record.source_file is None:
        return None
    # The trigger is the method's name on the user's line (save, create, add...).
    return read_write_site(
        file_text(record.source_file), record.source_lineno, frozenset({trigger})
    )
