"""Template and serializer N+1s fixed where they belong: in the queryset the view builds.

A `{% for %}` or a serializer's list evaluates the view's queryset far from the line that built
it: the fix core (kit.analysis.fixes) says what to add; this module says where. A class-based
view's `queryset = ...` or get_queryset()'s `return ...`, a function view's assignment or
context entry (kit.analysis.viewsource reads them from the view's file), each rewritten with the
fix; when the view's code cannot be read, the calls to add and the view they belong to.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kit.analysis.findings import Finding, Places
from kit.analysis.fixes import QuerysetFix, class_name
from kit.analysis.groups import NPlusOneGroup
from kit.analysis.location import file_place
from kit.analysis.relation_words import relation_parts
from kit.analysis.rendered import evaluated_by_django
from kit.analysis.rewrite import apply_change
from kit.analysis.snippets import append_chain
from kit.analysis.viewsource import (
    QuerysetSite,
    class_queryset,
    enclosing_function,
    function_queryset,
    loop_variable,
)
from kit.capture.records import QueryRecord, ViewRef

__all__ = ["FileText", "ViewFix", "plan_view_fix", "view_fix_findings"]

# The whole text of a source file, when it can be read.
FileText = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class ViewFix:
    """Where a fix goes in the view, and the code there (or the calls to add, code=chain)."""

    view: ViewRef
    model: str
    chain: str
    code: str
    place: str
    imports: tuple[str, ...]


def view_fix_findings(
    fixes: Sequence[QuerysetFix],
    groups: Sequence[NPlusOneGroup],
    by_id: dict[int, QueryRecord],
    places: Places,
    file_text: FileText | None,
) -> tuple[list[Finding], set[int]]:
    """One finding per fix whose root queryset Django evaluated for a view (not the admin's:
    kit.analysis.admin_fixes), or a template rendered by a function of the user's outside a
    request (a view called directly, a helper), and the root ids of those fixes."""
    findings, roots = [], set()
    for fix in fixes:
        root = by_id[fix.root_id]
        view = root.view if evaluated_by_django(root) else _rendering_function(root, file_text)
        if view is None or view.kind == "admin":
            continue
        placed = plan_view_fix(fix, root, view, file_text)
        members = [g for g in groups if g.record_ids in fix.group_ids]
        findings.append(_finding(fix, placed, root, members, by_id, places))
        roots.add(fix.root_id)
    return findings, roots


def _rendering_function(root: QueryRecord, file_text: FileText | None) -> ViewRef | None:
    """The function of the user's that rendered the template iterating root, outside a request."""
    if root.view is not None or root.template is None or root.source_file is None:
        return None
    if file_text is None or root.source_lineno is None:
        return None
    found = enclosing_function(file_text(root.source_file), root.source_lineno)
    if found is None:
        return None
    name, lineno = found
    return ViewRef(name=name, kind="function", file=root.source_file, lineno=lineno)


def plan_view_fix(
    fix: QuerysetFix, root: QueryRecord, view: ViewRef, file_text: FileText | None
) -> ViewFix:
    """The fix rewritten for the view's queryset (or, a related manager's queryset iterated by
    the template, a prefetch of it on the view's queryset)."""
    model, chain, imports = fix.model, fix.chain, fix.imports
    relation = root.relation
    if relation is not None and not relation.single_valued:
        # `{% for c in post.comments.all %}`: the post comes from the view's queryset.
        model = relation.model
        if fix.prefetch_related and not (
            fix.select_related or fix.prefetch_objects or fix.annotate
        ):
            lookups = ", ".join(repr(f"{relation.field}__{p}") for p in fix.prefetch_related)
            chain = f".prefetch_related({lookups})"
        else:
            inner = f"{class_name(relation.target)}.objects{fix.chain}"
            chain = f".prefetch_related(Prefetch({relation.field!r}, queryset={inner}))"
            imports = tuple(sorted({*imports, "Prefetch"}))
    text = file_text(view.file) if (file_text and view.file) else None
    site = _site(view, text, class_name(model), loop_variable(root.template_code))
    if site is None:
        place = (file_place(view.file, view.lineno) if view.lineno else None) or _file(view)
        return ViewFix(view, model, chain, chain, place, imports)
    place = file_place(view.file, site.lineno) or _file(view)
    if site.expression is not None and chain == fix.chain:
        # The view's own queryset: only what it lacks is added (kit.analysis.rewrite).
        code = site.head + apply_change(site.expression, fix.change)
    elif site.expression is not None:
        code = site.head + append_chain(site.expression, chain)
    elif site.model_only is not None:
        code = f"queryset = {site.model_only}.objects{chain}"
    else:
        code = chain  # get_queryset() with several returns: each one gets the calls
    return ViewFix(view, model, chain, code, place, imports)


def _file(view: ViewRef) -> str:
    return os.path.basename(view.file) if view.file else view.name


def _site(
    view: ViewRef, text: str | None, model: str, variable: str | None
) -> QuerysetSite | None:
    if view.kind == "class":
        return class_queryset(text, view.name)
    if view.kind == "function" and view.lineno is not None:
        return function_queryset(text, view.lineno, model, variable)
    return None


def _finding(
    fix: QuerysetFix,
    placed: ViewFix,
    root: QueryRecord,
    members: list[NPlusOneGroup],
    by_id: dict[int, QueryRecord],
    places: Places,
) -> Finding:
    total = sum(g.count for g in members)
    fields = (by_id[g.record_ids[0]].serializer for g in members)
    serializers = {field.partition(".")[0] for field in fields if field}
    how = ""
    if root.template is not None:
        how = f", iterated at {root.template}"
    elif serializers:
        how = f", serialized by {', '.join(sorted(serializers))}"
    notes = list(fix.notes)
    if placed.imports:
        notes.append(f"from django.db.models import {', '.join(placed.imports)}")
    if placed.code == placed.chain:
        notes.insert(
            0, f"add the calls to the {class_name(placed.model)} queryset the view builds"
        )
    # A request's view, or (no request) the function of the user's that rendered the template.
    owner, its = (
        (f"the view {placed.view.short_name}", "the view's")
        if root.view is not None
        else (f"{placed.view.short_name}()", "its")
    )
    return Finding(
        kind="n_plus_one",
        severity="high",
        message=f"{total:,} queries load related objects one at a time for the "
        f"{class_name(placed.model)} queryset of {owner} ({placed.place}){how}: "
        f"{relation_parts(members, by_id, places.where)}. Fetch them in {its} queryset "
        f"instead ({placed.place}):",
        record_ids=tuple(sorted(i for g in members for i in g.record_ids)),
        suggestion=placed.code,
        line=root.line,
        notes=tuple(notes),
        model=placed.model or None,
        fields=tuple(dict.fromkeys(r.field for g in members if (r := g.relation) is not None)),
    )
