"""The one change to a root queryset that removes its N+1 groups, nested paths included."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kit.analysis.groups import NPlusOneGroup, most_common
from kit.analysis.lineage import Lineage, trace_lineage
from kit.analysis.snippets import (
    append_chain,
    displayed_expression,
    filter_keywords,
    iterated_expression,
    relation_chain,
)
from kit.capture.records import QueryRecord, Relation

__all__ = ["QuerysetFix", "SourceText", "class_name", "plan_fixes"]

# The text of the user's source line behind a record, when it can be read.
SourceText = Callable[[QueryRecord], "str | None"]


def class_name(label: str) -> str:
    """ "blog.Post" -> "Post"."""
    return label.rpartition(".")[2]


def _calls(method: str, lookups: Sequence[str]) -> str:
    return f".{method}({', '.join(lookups)})" if lookups else ""


@dataclass(frozen=True, slots=True)
class QuerysetFix:
    """What to add to one root queryset: select_related, prefetch_related, annotate.

    prefetch_related holds plain lookups; prefetch_objects holds Prefetch(...) code;
    annotate holds ``name=Count(...)`` code; notes say what the loop must read instead.
    """

    root_id: int
    model: str
    expression: str
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    prefetch_objects: tuple[str, ...] = ()
    annotate: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    group_ids: tuple[tuple[int, ...], ...] = ()

    @property
    def chain(self) -> str:
        """The calls to append to the root queryset."""
        return (
            _calls("select_related", [repr(s) for s in self.select_related])
            + _calls(
                "prefetch_related",
                [*map(repr, self.prefetch_related), *self.prefetch_objects],
            )
            + _calls("annotate", self.annotate)
        )

    @property
    def code(self) -> str:
        """The root queryset as the user wrote it, with the fix applied."""
        return append_chain(self.expression, self.chain)

    @property
    def imports(self) -> tuple[str, ...]:
        """Names the code needs from django.db.models (Prefetch, Count, Q)."""
        text = " ".join((*self.prefetch_objects, *self.annotate))
        return tuple(n for n in ("Count", "Prefetch", "Q") if f"{n}(" in text)


@dataclass
class _Narrowed:
    """A relation the loop filters, orders or slices: it needs a Prefetch(..., to_attr=...)."""

    relation: Relation
    owner: str
    chain: str
    trigger: str | None
    inner: list[tuple[Relation, ...]] = field(default_factory=list)


def plan_fixes(
    records: Sequence[QueryRecord],
    groups: Iterable[NPlusOneGroup],
    source_text: SourceText | None = None,
) -> tuple[list[QuerysetFix], list[NPlusOneGroup]]:
    """One fix per root queryset behind the N+1 groups, and the groups no root explains."""
    lineage, parents = trace_lineage(records)
    by_id = {record.id: record for record in records}
    per_root: dict[int, list[tuple[NPlusOneGroup, Lineage]]] = {}
    unexplained = []
    for group in groups:
        found = most_common([lineage.get(i) for i in group.record_ids])
        if group.relation is None or found is None or not found.path:
            unexplained.append(group)
        else:
            per_root.setdefault(found.root_id, []).append((group, found))
    text = source_text or (lambda record: None)
    fixes = [
        _Builder(by_id, parents, text).build(by_id[root], members)
        for root, members in per_root.items()
    ]
    return sorted(fixes, key=lambda f: f.root_id), unexplained


def _root_expression(root: QueryRecord, text: str | None) -> str:
    expression = iterated_expression(text)
    if expression is None and root.evaluation == "repr":
        expression = displayed_expression(text)
    if expression:
        return expression
    relation = root.relation
    if relation is not None:  # a related manager's queryset, as in author.posts.all()
        return f"{class_name(relation.model).lower()}.{relation.field}.all()"
    return f"{class_name(root.model or '')}.objects.all()"


class _Builder:
    """Collects one root's lookups, group by group, then writes the QuerysetFix."""

    def __init__(
        self, by_id: dict[int, QueryRecord], parents: dict[int, int], text: SourceText
    ) -> None:
        self.by_id, self.parents, self.text = by_id, parents, text
        self.select: list[str] = []
        self.prefetch: list[str] = []
        self.counts: dict[str, str] = {}  # lookup -> Count(...) arguments
        self.notes: dict[str, str] = {}
        self.narrowed: dict[tuple[str, str], _Narrowed] = {}
        self.attrs: set[str] = set()

    def build(
        self, root: QueryRecord, members: list[tuple[NPlusOneGroup, Lineage]]
    ) -> QuerysetFix:
        """The fix for root: every member group's path, outermost lookups only."""
        for group, lineage in members:
            self._add(group, lineage)
        # A prefetched relation answers count() from memory: no annotation needed then.
        for lookup in [k for k in self.counts if self._prefetched(k)]:
            del self.counts[lookup], self.notes[lookup]
        objects = [self._prefetch_object(entry) for entry in self.narrowed.values()]
        # Two Counts over different joins multiply each other's rows unless distinct.
        distinct = ", distinct=True" if len(self.counts) > 1 else ""
        return QuerysetFix(
            root_id=root.id,
            model=root.model or "",
            expression=_root_expression(root, self.text(root)),
            select_related=_outermost(self.select),
            prefetch_related=_outermost(self.prefetch),
            prefetch_objects=tuple(o for o in objects if o),
            annotate=tuple(
                f"{key.partition('?')[0]}_count=Count({args}{distinct})"
                for key, args in self.counts.items()
            ),
            notes=tuple(dict.fromkeys(self.notes.values())),
            group_ids=tuple(group.record_ids for group, _ in members),
        )

    def _prefetched(self, lookup: str) -> bool:
        return any(p == lookup or p.startswith(lookup + "__") for p in self.prefetch)

    def _add(self, group: NPlusOneGroup, lineage: Lineage) -> None:
        path, lookup = lineage.path, lineage.lookup
        if path[0].narrowed:
            head = self._ancestor(group.record_ids[0], len(path) - 1)
            self._narrow(path, head, group.trigger if len(path) == 1 else None)
        elif all(relation.single_valued for relation in path):
            self.select.append(lookup)
        elif len(path) == 1 and group.trigger == "count":
            self.counts[lookup] = repr(lookup)
            owner = class_name(path[0].model).lower()
            self.notes[lookup] = f"read {owner}.{lookup}_count instead of {owner}.{lookup}.count()"
        else:
            self.prefetch.append(lookup)

    def _ancestor(self, record_id: int, steps: int) -> QueryRecord:
        for _ in range(steps):
            record_id = self.parents.get(record_id, record_id)
        return self.by_id[record_id]

    def _narrow(self, path: tuple[Relation, ...], head: QueryRecord, trigger: str | None) -> None:
        relation = path[0]
        found = relation_chain(self.text(head), relation.field)
        owner, chain = found if found else (class_name(relation.model).lower(), "")
        entry = self.narrowed.setdefault(
            (relation.field, chain), _Narrowed(relation, owner, chain, trigger)
        )
        if len(path) > 1:
            entry.inner.append(path[1:])
        elif trigger is not None:
            entry.trigger = trigger

    def _prefetch_object(self, entry: _Narrowed) -> str | None:
        """Prefetch(...) code for a narrowed relation (or a filtered Count, returning None)."""
        field_name, owner, chain = entry.relation.field, entry.owner, entry.chain
        keywords = filter_keywords(chain) if entry.trigger == "count" else None
        if keywords and not entry.inner:
            condition = ", ".join(f"{field_name}__{k}={v}" for k, v in keywords)
            key = f"{field_name}?{chain}"
            self.counts[key] = f"{field_name!r}, filter=Q({condition})"
            self.notes[key] = (
                f"read {owner}.{field_name}_count instead of {owner}.{field_name}{chain}.count()"
            )
            return None
        single = [_lookup(p) for p in entry.inner if all(r.single_valued for r in p)]
        many = [_lookup(p) for p in entry.inner if not all(r.single_valued for r in p)]
        inner = _calls("select_related", [repr(s) for s in _outermost(single)])
        inner += _calls("prefetch_related", [repr(s) for s in _outermost(many)])
        target = class_name(entry.relation.target)
        queryset = f"{target}.objects{inner}{chain or '.filter(...)'}"
        attr = f"prefetched_{field_name}"
        while attr in self.attrs:  # two differently narrowed querysets of one relation
            attr += "_2"
        self.attrs.add(attr)
        used = f"len({owner}.{attr})" if entry.trigger == "count" else f"{owner}.{attr}"
        self.notes[f"{field_name}?{chain}"] = (
            f"use {used} instead of {owner}.{field_name}{chain or '...'}: a filtered, ordered "
            "or sliced related queryset is not served by prefetch_related()"
        )
        return f"Prefetch({field_name!r}, queryset={queryset}, to_attr={attr!r})"


def _lookup(path: tuple[Relation, ...]) -> str:
    return "__".join(relation.field for relation in path)


def _outermost(lookups: list[str]) -> tuple[str, ...]:
    """The lookups in first-seen order, without those another one extends (a, a__b -> a__b)."""
    unique = list(dict.fromkeys(lookups))
    return tuple(a for a in unique if not any(b.startswith(a + "__") for b in unique))
