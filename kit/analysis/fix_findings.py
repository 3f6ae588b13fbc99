"""The finding for one root queryset's fix: what the loop loads one row at a time, named by
model and field, and the code to paste (or the calls to add, and where the queryset was
built, when its expression could not be read)."""

from __future__ import annotations

import re

from kit.analysis.findings import Finding, Places
from kit.analysis.fixes import QuerysetFix, class_name
from kit.analysis.groups import NPlusOneGroup
from kit.analysis.relation_words import describe_relation
from kit.analysis.rewrite import is_raw
from kit.capture.records import QueryRecord, Relation

__all__ = ["fix_finding"]


def _parts(
    fix: QuerysetFix, members: list[NPlusOneGroup], by_id: dict[int, QueryRecord], places: Places
) -> str:
    """ "Post.author (foreign key): 20 at line 3; ...", one part per relation and place."""
    relations, via = dict(fix.relations), dict(fix.via)
    counts: dict[tuple[str, str], int] = {}
    for group in members:
        relation = relations.get(group.record_ids, group.relation)
        if relation is None:
            continue
        name = _described(relation, fix)
        if group.record_ids in via:
            name += f" in {via[group.record_ids]}"
        key = (name, places.where(by_id[group.record_ids[0]]))
        counts[key] = counts.get(key, 0) + group.count
    return "; ".join(f"{name}: {count:,} at {where}" for (name, where), count in counts.items())


def _described(relation: Relation, fix: QuerysetFix) -> str:
    if relation.kind == "deferred":
        fields = ", ".join(fix.load_fields) or relation.field
        return f"{class_name(relation.model)}.{fields} (deferred field)"
    if relation.single_valued and relation.model == relation.target:
        deepest = max((s for s in fix.select_related if s.startswith(relation.field)), default="")
        if "__" in deepest:  # a self-referential chain
            depth = deepest.count("__") + 1
            return f"{describe_relation(relation)}, a self-referential chain {depth} levels deep"
    return describe_relation(relation)


def _models_used(fix: QuerysetFix) -> list[str]:
    """ "Comment is blog.Comment": the models a Prefetch or Exists queryset names."""
    labels = {
        class_name(label): label
        for _, relation in fix.relations
        for label in (relation.model, relation.target)
        if label
    }
    text = " ".join((*fix.prefetch_objects, *fix.annotate))
    used = dict.fromkeys(re.findall(r"\b([A-Z]\w*)\.objects\b", text))
    return [f"{name} is the {labels[name]} model" for name in used if name in labels]


def fix_finding(
    fix: QuerysetFix,
    groups: list[NPlusOneGroup],
    by_id: dict[int, QueryRecord],
    places: Places,
) -> Finding:
    """The high-severity finding for fix: the queries it removes and the code to paste."""
    members = [g for g in groups if g.record_ids in fix.group_ids]
    parts = _parts(fix, members, by_id, places)
    total = sum(g.count for g in members)
    root = by_id[fix.root_id]
    where = places.where(root)
    notes = list(fix.notes)
    if fix.recovered and is_raw(fix.expression):
        notes.append(
            "a RawQuerySet has no select_related(): prefetch_related() adds one query per "
            "relation (or JOIN the related table in the SQL)"
        )
    for _, relation in fix.relations:
        if relation.kind == "generic_fk":
            notes.append(
                f"prefetch_related({relation.field!r}) sends one query per content type; to "
                "narrow or join each, use GenericPrefetch (django.contrib.contenttypes."
                f"prefetch, Django 5.0+) with a queryset per model {relation.field} points to"
            )
            break
    notes += _models_used(fix)
    if fix.imports:  # last, as the code's import line
        notes.append(f"from django.db.models import {', '.join(fix.imports)}")
    code = fix.code
    model = class_name(fix.model) or "the"
    if fix.load_fields and not fix.select_related and not fix.prefetch_related:
        what = f"{total:,} queries load a deferred field one row at a time"
    else:
        what = f"{total:,} queries load related objects one at a time"
    if not fix.recovered:
        built = root.source or where
        message = (
            f"{what} for the {model} queryset evaluated at {where}: {parts}. The kit could not "
            f"read that queryset's code: add {code} to it where it was built ({built})."
        )
    elif code == fix.expression:
        message = f"{what} for the {model} queryset of {where}: {parts}."
        code = ""
    else:
        message = f"{what} for the {model} queryset of {where}: {parts}. Fetch them with the "
        message += "queryset instead:"
    if fix.load_fields and code == "":
        fields = ", ".join(repr(f) for f in fix.load_fields)
        notes.insert(0, f"add {fields} to the queryset's only(), or take it out of its defer()")
    return Finding(
        kind="n_plus_one",
        severity="high",
        message=message,
        record_ids=tuple(sorted(i for g in members for i in g.record_ids)),
        suggestion=code or None,
        line=root.line,
        notes=tuple(notes),
        expression=fix.expression or None,
        built_at=None if fix.recovered else root.source,
        model=fix.model or None,
        fields=tuple(
            dict.fromkeys(relation.field for _, relation in fix.relations)
            if not fix.load_fields
            else fix.load_fields
        ),
    )
