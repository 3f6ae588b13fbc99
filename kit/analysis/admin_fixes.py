"""Admin changelist N+1s fixed the admin's way, and its second COUNT(*) switched off.

A changelist loads its rows itself: ChangeList.apply_select_related() joins what
list_select_related names, or, left False with a foreign key among the columns, every non-null
foreign key (select_related() with no arguments). So the fix for a column that follows a
relation is list_select_related listing every relation the columns follow, the ones Django
joined on its own included (a list replaces its choice); prefetches and counting columns go in
get_queryset(), which the changelist keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kit.analysis.findings import Finding, Places
from kit.analysis.fingerprint import sql_shape
from kit.analysis.fixes import IMPORTABLE, QuerysetFix
from kit.analysis.groups import NPlusOneGroup
from kit.analysis.location import file_place
from kit.analysis.relation_words import relation_parts
from kit.analysis.view_fixes import FileText
from kit.analysis.viewsource import class_line
from kit.capture.records import QueryRecord, ViewRef

__all__ = ["FULL_COUNT", "admin_findings", "full_count_findings"]

# QueryRecord.admin's column for the changelist's second COUNT (kit.capture.sites).
FULL_COUNT = "show_full_result_count"


@dataclass
class _AdminFix:
    """What one ModelAdmin's changelist needs, collected group by group."""

    view: ViewRef
    select: list[str] = field(default_factory=list)
    prefetch: list[str] = field(default_factory=list)
    annotate: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    groups: list[NPlusOneGroup] = field(default_factory=list)
    roots: set[int] = field(default_factory=set)

    def add_fix(self, fix: QuerysetFix) -> None:
        self.select += fix.select_related
        self.prefetch += [*fix.prefetch_related, *fix.prefetch_objects]
        self.annotate.update({a.partition("=")[0]: a for a in fix.annotate})
        self.notes += fix.notes
        self.roots.add(fix.root_id)

    def add_relation(self, group: NPlusOneGroup) -> bool:
        """Add a group no root query explains, from its relation; False when it cannot be
        reached from the changelist's rows."""
        relation = group.relation
        if relation is None:
            return False
        if relation.model == self.view.model:
            lookup = relation.field
        else:
            loaded = [path for path, model in self.view.loads if model == relation.model]
            if not loaded:
                return False
            lookup = f"{loaded[0]}__{relation.field}"
        if relation.single_valued:
            self.select.append(lookup)
        elif group.trigger == "count":
            name = lookup.replace("__", "_") + "_count"
            self.annotate[name] = f"{name}=Count({lookup!r})"
            self.notes.append(f"read .{name} instead of .{relation.field}.count()")
        else:
            self.prefetch.append(lookup)
        return True

    def code(self) -> str:
        lines = []
        if self.select:
            loads = [path for path, _ in self.view.loads]
            lookups = _outermost([*loads, *self.select])
            lines.append(f"list_select_related = {tuple(lookups)!r}")
        chain = ""
        if self.prefetch:
            chain += (
                f".prefetch_related({', '.join(map(_lookup_code, _outermost(self.prefetch)))})"
            )
        if self.annotate:
            distinct = ", distinct=True)" if len(self.annotate) > 1 else ")"
            chain += f".annotate({', '.join(a[:-1] + distinct for a in self.annotate.values())})"
        if chain:
            lines += [
                *([""] if lines else []),
                "def get_queryset(self, request):",
                f"    return super().get_queryset(request){chain}",
            ]
        return "\n".join(lines)


def _lookup_code(lookup: str) -> str:
    return lookup if lookup.startswith("Prefetch(") else repr(lookup)


def _outermost(lookups: list[str]) -> list[str]:
    """The lookups in first-seen order, without those another one extends (a, a__b -> a__b)."""
    unique = list(dict.fromkeys(lookups))
    return [a for a in unique if not any(b.startswith(a + "__") for b in unique)]


def admin_findings(
    fixes: Sequence[QuerysetFix],
    groups: Sequence[NPlusOneGroup],
    by_id: dict[int, QueryRecord],
    places: Places,
    file_text: FileText | None,
) -> tuple[list[Finding], set[int], set[tuple[int, ...]]]:
    """One finding per ModelAdmin whose changelist columns query per row; the root ids of the
    fixes and the record ids of the groups it took over."""
    by_admin: dict[str, _AdminFix] = {}
    taken: set[tuple[int, ...]] = set()
    for group in groups:
        first = by_id[group.record_ids[0]]
        view = first.view
        if view is None or view.kind != "admin" or first.admin is None:
            continue
        entry = by_admin.setdefault(view.name, _AdminFix(view))
        fix = next((f for f in fixes if group.record_ids in f.group_ids), None)
        root = by_id[fix.root_id] if fix else None
        if fix is not None and root is not None and root.view == view:
            if fix.root_id not in entry.roots:
                entry.add_fix(fix)
        elif not entry.add_relation(group):
            continue
        entry.groups.append(group)
        taken.add(group.record_ids)
    findings = [
        _finding(entry, by_id, places, file_text) for entry in by_admin.values() if entry.groups
    ]
    roots = {root for entry in by_admin.values() for root in entry.roots}
    return findings, roots, taken


def _admin_place(view: ViewRef, file_text: FileText | None, attribute: str | None) -> str:
    text = file_text(view.file) if (file_text and view.file) else None
    line = class_line(text, view.name, attribute)
    return (file_place(view.file, line) if line else None) or view.short_name


def _finding(
    entry: _AdminFix, by_id: dict[int, QueryRecord], places: Places, file_text: FileText | None
) -> Finding:
    view, members = entry.view, entry.groups
    total = sum(g.count for g in members)
    notes = list(dict.fromkeys(entry.notes))
    own = [path for path, _ in view.loads]
    if entry.select and own:
        notes.insert(
            0,
            "list_select_related replaces what the changelist joins today, so it keeps "
            f"{', '.join(_outermost(own))} too",
        )
    code = entry.code()
    imports = [n for n in IMPORTABLE if f"{n}(" in code]
    if imports:
        notes.append(f"from django.db.models import {', '.join(imports)}")
    records = sorted(i for g in members for i in g.record_ids)
    return Finding(
        kind="n_plus_one",
        severity="high",
        message=f"{total:,} queries load related objects one at a time for "
        f"the columns of {view.short_name}'s changelist "
        f"({_admin_place(view, file_text, 'list_display')}): "
        f"{relation_parts(members, by_id, places.where)}. Load them with the changelist's "
        f"rows instead, in {view.short_name}:",
        record_ids=tuple(records),
        suggestion=code,
        line=by_id[records[0]].line,
        notes=tuple(notes),
    )


def full_count_findings(
    records: Sequence[QueryRecord], file_text: FileText | None
) -> list[Finding]:
    """One finding per ModelAdmin whose changelist ran its second COUNT(*)."""
    by_admin: dict[ViewRef, list[QueryRecord]] = {}
    for record in records:
        if record.admin and record.admin.endswith("." + FULL_COUNT) and record.view:
            by_admin.setdefault(record.view, []).append(record)
    findings = []
    for view, members in by_admin.items():
        table = ", ".join(sql_shape(members[0].sql).tables) or "the table"
        findings.append(
            Finding(
                kind="admin_count",
                severity="medium",
                message=f"{view.short_name}'s changelist counts every row of {table} a second "
                f"time on each page ({_admin_place(view, file_text, None)}), for the "
                '"(N total)" beside a filtered list: show_full_result_count is on by default, '
                "and on a big table that COUNT(*) can cost more than the page. Switch it off:",
                record_ids=tuple(r.id for r in members),
                suggestion=f"{FULL_COUNT} = False",
                line=members[0].line,
            )
        )
    return findings
