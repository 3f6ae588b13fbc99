"""analyze(): every finding about a list of query records, worst first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kit.analysis.admin_fixes import admin_findings, full_count_findings
from kit.analysis.aggregates import find_separate_aggregates
from kit.analysis.async_findings import find_sync_in_async
from kit.analysis.cache_findings import find_cache_findings
from kit.analysis.findings import Finding, Places, sort_findings
from kit.analysis.fingerprint import sql_shape
from kit.analysis.fix_findings import fix_finding
from kit.analysis.fixes import QuerysetFix, SpotOf, class_name, plan_fixes
from kit.analysis.groups import (
    DEFAULT_THRESHOLD,
    DuplicateGroup,
    NPlusOneGroup,
    SimilarGroup,
    find_n_plus_one,
    group_duplicates,
    group_similar,
    params_key,
)
from kit.analysis.lazy import find_lazy_evaluations
from kit.analysis.location import CellNumbers
from kit.analysis.lookup_fix import in_bulk_fix
from kit.analysis.relation_words import describe_relation
from kit.analysis.unused_loads import find_unused_eager_loads
from kit.analysis.view_fixes import FileText, view_fix_findings
from kit.analysis.wording import counted, sentence
from kit.analysis.writes import find_write_loops
from kit.capture.cache_records import CacheRecord
from kit.capture.eager_records import EagerLoad
from kit.capture.records import QueryRecord

__all__ = ["Analysis", "analyze", "describe_relation"]

# What replaces a write repeated in a loop.
_BULK = {
    "INSERT": "bulk_create()",
    "UPDATE": "queryset.update() or bulk_update()",
    "DELETE": "queryset.delete()",
}


@dataclass(frozen=True)
class Analysis:
    """Findings (worst first) and the groups and fixes they were built from."""

    findings: tuple[Finding, ...]
    n_plus_one: tuple[NPlusOneGroup, ...]
    fixes: tuple[QuerysetFix, ...]
    duplicates: tuple[DuplicateGroup, ...]
    similar: tuple[SimilarGroup, ...]


def analyze(
    records: Sequence[QueryRecord],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    cell_filename: str | None = None,
    source_text: Callable[[QueryRecord], str | None] | None = None,
    file_text: FileText | None = None,
    cells: CellNumbers | None = None,
    cache_calls: Sequence[CacheRecord] = (),
    source_spot: SpotOf | None = None,
    eager_loads: Sequence[EagerLoad] = (),
) -> Analysis:
    """Group the records, trace every N+1 to its root queryset and write what to change; with
    the block's cache calls, the cache's findings too.

    file_text reads a whole source file: a view's, to place a template's or serializer's fix
    in its queryset, a ModelAdmin's. cells: the notebook's other cells' code files and their
    execution counts (locations). eager_loads: the select_related() / prefetch_related()
    lookups the block never read (kit.capture.eager).
    """
    places = Places(cell_filename, source_text, dict(cells or {}))
    by_id = {record.id: record for record in records}
    all_groups = find_n_plus_one(records, threshold)
    # Writes repeated per row (kit.analysis.writes) get their bulk form, not a read's fix.
    writes = find_write_loops(records, places, threshold, file_text)
    groups = [g for g in all_groups if not writes.record_ids.issuperset(g.record_ids)]
    fixes, unexplained = plan_fixes(records, groups, places.text, source_spot)
    # N+1s Django rendered for a view (kit.analysis.view_fixes) or the admin
    # (kit.analysis.admin_fixes) get their fix where it belongs: the view's queryset, the
    # ModelAdmin's list_select_related.
    findings, in_admin, admin_groups = admin_findings(fixes, groups, by_id, places, file_text)
    in_view_findings, in_views = view_fix_findings(
        [f for f in fixes if f.root_id not in in_admin], groups, by_id, places, file_text
    )
    findings += in_view_findings
    findings += [
        fix_finding(fix, groups, by_id, places)
        for fix in fixes
        if fix.root_id not in in_admin and fix.root_id not in in_views
    ]
    findings += [
        _group_finding(group, by_id, places, file_text)
        for group in unexplained
        if group.record_ids not in admin_groups
    ]
    findings += writes.findings
    full_counts = full_count_findings(records, file_text)
    in_n_plus_one = frozenset(i for group in all_groups for i in group.record_ids)
    in_n_plus_one |= writes.record_ids
    duplicates = group_duplicates(records)
    similar = group_similar(records)
    # The admin's two COUNTs are the same query when the list is not filtered: one finding.
    full = {i for finding in full_counts for i in finding.record_ids}
    counted = in_n_plus_one | {
        i for group in duplicates if full.intersection(group.record_ids) for i in group.record_ids
    }
    findings += full_counts
    findings += _duplicate_findings(duplicates, counted, by_id, places)
    findings += _similar_findings(similar, in_n_plus_one, threshold, by_id, places)
    findings += find_lazy_evaluations(records, places, file_text)
    findings += find_separate_aggregates(records, places, in_n_plus_one)
    findings += find_cache_findings(cache_calls, records, cell_filename)
    findings += find_sync_in_async(records, places)
    findings += find_unused_eager_loads(eager_loads, records, places, file_text)
    return Analysis(
        tuple(sort_findings(findings)),
        tuple(all_groups),
        tuple(fixes),
        tuple(duplicates),
        tuple(similar),
    )


def _group_finding(
    group: NPlusOneGroup,
    by_id: dict[int, QueryRecord],
    places: Places,
    file_text: FileText | None = None,
) -> Finding:
    first = by_id[group.record_ids[0]]
    where = places.where(first)
    relation = group.relation
    suggestion = None
    notes: tuple[str, ...] = ()
    params = (
        "each with its own params"
        if group.distinct_params == group.count
        else f"with {counted(group.distinct_params, 'different param')}"
    )
    sends = f"{where} sends {group.count:,} {group.kind} queries of one shape, {params}"
    lookup = in_bulk_fix(first, file_text)
    if lookup is not None:
        # Before the relation's advice: a get() on a related manager is a new query even
        # when the relation is prefetched.
        advice = (
            ": a get() by primary key per value of the loop. Read them all with one "
            "in_bulk() before the loop, and look each one up in the dict it returns."
        )
        suggestion, notes = lookup.code, lookup.notes
    elif relation is not None:
        method = "select_related" if relation.single_valued else "prefetch_related"
        suggestion = f".{method}({relation.field!r})"
        advice = (
            f": it loads {describe_relation(relation)} one object at a time. Add {suggestion} "
            f"to the queryset that loads these {class_name(relation.model)} objects."
        )
    elif group.kind in _BULK:
        advice = f": one row at a time. Use {_BULK[group.kind]} instead."
    else:
        advice = (
            ": the same query once per value. Fetch them in one query "
            "(filter(<field>__in=...), in_bulk()) and look them up in a dict."
        )
    return Finding(
        kind="n_plus_one",
        severity="high",
        message=sentence(sends + advice),
        record_ids=group.record_ids,
        suggestion=suggestion,
        notes=notes,
        line=group.line,
    )


def _duplicate_findings(
    duplicates: list[DuplicateGroup],
    covered: frozenset[int],
    by_id: dict[int, QueryRecord],
    places: Places,
) -> list[Finding]:
    """One finding per read that repeated (a loop below the threshold repeats many)."""
    by_shape: dict[tuple[str, str], list[DuplicateGroup]] = {}
    for group in duplicates:
        # Repeats inside an N+1 go away with its fix; a repeated write is not "keep the result".
        if not covered.issuperset(group.record_ids) and _is_read(group.sql):
            by_shape.setdefault((group.alias, group.fingerprint), []).append(group)
    found = []
    for groups in by_shape.values():
        ids = sorted(i for group in groups for i in group.record_ids)
        lines = dict.fromkeys(places.where(by_id[i]) for i in ids)
        what = (
            f"{len(ids)} identical queries (same SQL and params)"
            if len(groups) == 1
            else f"{len(ids)} queries where {len(groups)} would do (the same SQL and params again)"
        )
        found.append(
            Finding(
                kind="duplicate",
                severity="low",
                message=f"{what} from {', '.join(lines)}: run each once and keep the result.",
                record_ids=tuple(ids),
                line=by_id[ids[0]].line,
            )
        )
    return found


def _is_read(sql: str) -> bool:
    return sql_shape(sql).kind == "SELECT"


def _similar_findings(
    similar: list[SimilarGroup],
    covered: frozenset[int],
    threshold: int,
    by_id: dict[int, QueryRecord],
    places: Places,
) -> list[Finding]:
    """One finding per read shape sent from `threshold` lines or more, params varying."""
    found = []
    for group in similar:
        if group.kind != "SELECT":
            continue
        rest = [by_id[i] for i in group.record_ids if i not in covered]
        lines = list(dict.fromkeys(places.where(r) for r in rest))
        distinct = len({params_key(r.params) for r in rest})
        # From `threshold` lines on, as an N+1 needs `threshold` queries from one line: fewer
        # is a loop or two below the threshold, not a pattern.
        if len(lines) < threshold or distinct < 2:
            continue
        found.append(
            Finding(
                kind="similar",
                severity="low",
                message=f"{len(rest)} {group.kind} queries of one shape on "
                f"{', '.join(group.tables) or 'no table'} from {', '.join(lines)} differ only "
                "in their params: one query with __in (or in_bulk()) can fetch them together.",
                record_ids=tuple(r.id for r in rest),
                line=rest[0].line,
            )
        )
    return found
