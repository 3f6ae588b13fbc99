"""The one change to a root queryset that removes its N+1 groups, nested paths included."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kit.analysis.groups import NPlusOneGroup, most_common
from kit.analysis.lineage import Lineage, trace_lineage
from kit.analysis.location import file_place
from kit.analysis.per_row import aggregate_annotations, exists_annotation
from kit.analysis.rewrite import Change, apply_change, existing_lookups, is_raw
from kit.analysis.snippets import (
    displayed_expression,
    filter_keywords,
    iterated_expression,
    relation_chain,
)
from kit.analysis.statements import (
    SourceSpot,
    chain_depth,
    enclosing_method,
    loop_target,
    queryset_expression,
    related_chain,
)
from kit.analysis.unnamed import unnamed_lineage
from kit.capture.records import QueryRecord, Relation

__all__ = [
    "IMPORTABLE",
    "QuerysetFix",
    "SourceSpot",
    "SourceText",
    "SpotOf",
    "class_name",
    "plan_fixes",
]

# Names a fix's code may need from django.db.models.
IMPORTABLE = ("Avg", "Count", "Exists", "Max", "Min", "OuterRef", "Prefetch", "Q", "Sum")
# The text of the user's source line behind a record, when it can be read.
SourceText = Callable[[QueryRecord], "str | None"]
# The whole source a record came from and its line there (a cell's code, a file's).
SpotOf = Callable[[QueryRecord], "SourceSpot | None"]


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
    # Added for issue 12. The lookup each Prefetch(...) of prefetch_objects replaces; deferred
    # fields the loop reads (to add to only() or take out of defer()); the relation each group
    # followed as the fix reads it (a deferred field, a self-referential chain's depth).
    prefetch_object_lookups: tuple[str, ...] = ()
    load_fields: tuple[str, ...] = ()
    relations: tuple[tuple[tuple[int, ...], Relation], ...] = ()
    # The model method or property that ran a group's queries ("Product.placement_total()").
    via: tuple[tuple[tuple[int, ...], str], ...] = ()

    @property
    def recovered(self) -> bool:
        """True when the root queryset's expression was read from the user's code."""
        return bool(self.expression)

    @property
    def change(self) -> Change:
        """The fix as one value for kit.analysis.rewrite."""
        return Change(
            self.select_related,
            self.prefetch_related,
            tuple(zip(self.prefetch_object_lookups, self.prefetch_objects, strict=False)),
            self.annotate,
            self.load_fields,
        )

    @property
    def chain(self) -> str:
        """The calls to append to the root queryset."""
        return self.change.chain(raw=bool(self.expression) and is_raw(self.expression))

    @property
    def code(self) -> str:
        """The root queryset as the user wrote it, with the fix applied; the calls alone when
        the expression could not be read (never a guessed Model.objects)."""
        return apply_change(self.expression, self.change)

    @property
    def imports(self) -> tuple[str, ...]:
        """Names the code needs from django.db.models (Prefetch, Count, Q, Exists...)."""
        text = " ".join((*self.prefetch_objects, *self.annotate))
        return tuple(n for n in IMPORTABLE if f"{n}(" in text)


# Calls on a related manager that query even when the relation is prefetched.
_REQUERY = frozenset(
    {"first", "last", "count", "exists", "get", "aggregate", "earliest", "latest"}
)


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
    source_spot: SpotOf | None = None,
) -> tuple[list[QuerysetFix], list[NPlusOneGroup]]:
    """One fix per root queryset behind the N+1 groups, and the groups no root explains.

    source_spot gives the whole source around a record, to read a statement over several lines.
    """
    lineage, parents = trace_lineage(records)
    by_id = {record.id: record for record in records}
    per_root: dict[int, list[tuple[NPlusOneGroup, Lineage]]] = {}
    unexplained = []
    for group in groups:
        found = _group_lineage(group, lineage, by_id, source_spot or (lambda record: None))
        if found is None or not found.path:
            unexplained.append(group)
        else:
            per_root.setdefault(found.root_id, []).append((group, found))
    text = source_text or (lambda record: None)
    spot = source_spot or (lambda record: None)
    fixes = [
        _Builder(by_id, parents, text, spot).build(by_id[root], members)
        for root, members in per_root.items()
    ]
    return sorted(fixes, key=lambda f: f.root_id), unexplained


def _group_lineage(
    group: NPlusOneGroup,
    lineage: dict[int, Lineage],
    by_id: dict[int, QueryRecord],
    spot: SpotOf,
) -> Lineage | None:
    """The root and path of a group: its most common root, and the deepest path to it (a
    self-referential chain sends each level's queries in one shape: parent, parent__parent)."""
    if group.relation is None:
        return unnamed_lineage(group, lineage, by_id, spot)
    found = most_common([lineage.get(i) for i in group.record_ids])
    if found is None:
        return None
    path = found.path
    # A self-referential chain seems to go on from row to row (each row's parent is of the
    # rows' model): one step here, its depth is read from the source (_Builder._add).
    while len(path) > 1 and _self_referential(path[-1]) and path[-2] == path[-1]:
        path = path[:-1]
    return Lineage(found.root_id, path)


def _self_referential(relation: Relation) -> bool:
    return relation.single_valued and relation.model == relation.target


def _root_expression(root: QueryRecord, text: str | None, spot: SourceSpot | None) -> str:
    """The root queryset as the user wrote it, read from the whole statement; "" when it
    cannot be read (the finding then names where it was built and gives the calls to add)."""
    if spot is not None:
        found = queryset_expression(*spot, shown=root.evaluation == "repr")
        if found:
            return found
    expression = iterated_expression(text)
    if expression is None and root.evaluation == "repr":
        expression = displayed_expression(text)
    if expression:
        return expression
    relation = root.relation
    if relation is not None:  # a related manager's queryset, as in author.posts.all()
        return f"{class_name(relation.model).lower()}.{relation.field}.all()"
    return ""


class _Builder:
    """Collects one root's lookups, group by group, then writes the QuerysetFix."""

    def __init__(
        self,
        by_id: dict[int, QueryRecord],
        parents: dict[int, int],
        text: SourceText,
        spot: SpotOf,
    ) -> None:
        self.by_id, self.parents, self.text, self.spot = by_id, parents, text, spot
        self.select: list[str] = []
        self.prefetch: list[tuple[Relation, ...]] = []
        self.fields: list[str] = []
        self.counts: dict[str, str] = {}  # lookup -> Count(...) arguments
        self.annotations: dict[str, str] = {}  # name -> Exists(...), Sum(...)
        self.root: QueryRecord | None = None
        self.existing: set[str] = set()  # lookups the root queryset prefetches already
        self.notes: dict[str, str] = {}
        self.narrowed: dict[tuple[str, str], _Narrowed] = {}
        self.attrs: set[str] = set()

    def build(
        self, root: QueryRecord, members: list[tuple[NPlusOneGroup, Lineage]]
    ) -> QuerysetFix:
        """The fix for root: every member group's path, outermost lookups only."""
        self.root = root
        expression = _root_expression(root, self.text(root), self.spot(root))
        _, prefetched = existing_lookups(expression)
        self.existing = prefetched
        for group, lineage in members:
            if group.trigger in _REQUERY and lineage.lookup in prefetched:
                self._requery_note(group, lineage)
            else:
                self._add(group, lineage)
        # A prefetched relation answers count() from memory: no annotation needed then.
        for lookup in [k for k in self.counts if self._prefetched(k)]:
            del self.counts[lookup], self.notes[lookup]
        narrowed = [self._prefetch_object(entry) for entry in self.narrowed.values()]
        plain, objects = _prefetch_tree(self.prefetch)
        objects += [o for o in narrowed if o]
        # Two Counts over different joins multiply each other's rows unless distinct.
        distinct = ", distinct=True" if len(self.counts) > 1 else ""
        return QuerysetFix(
            root_id=root.id,
            model=root.model or "",
            expression=expression,
            select_related=_outermost(self.select),
            prefetch_related=tuple(plain),
            prefetch_objects=tuple(code for _, code in objects),
            annotate=tuple(
                f"{key.partition('?')[0]}_count=Count({args}{distinct})"
                for key, args in self.counts.items()
            )
            + tuple(f"{name}={code}" for name, code in self.annotations.items()),
            notes=tuple(dict.fromkeys(self.notes.values())),
            group_ids=tuple(group.record_ids for group, _ in members),
            prefetch_object_lookups=tuple(lookup for lookup, _ in objects),
            load_fields=tuple(dict.fromkeys(self.fields)),
            relations=tuple((group.record_ids, lineage.path[-1]) for group, lineage in members),
            via=tuple(
                (group.record_ids, method)
                for group, _ in members
                if (method := self._method_name(self.by_id[group.record_ids[0]]))
            ),
        )

    def _requery_note(self, group: NPlusOneGroup, lineage: Lineage) -> None:
        """The relation is prefetched already: the loop's call is what queries again."""
        relation = lineage.path[-1]
        owner = self._owner(group, relation)
        call = f"{owner}.{relation.field}.{group.trigger}()"
        instead = {
            "first": f"next(iter({owner}.{relation.field}.all()), None)",
            "last": f"({owner}.{relation.field}.all() or [None])[-1]",
            "count": f"len({owner}.{relation.field}.all())",
            "exists": f"bool({owner}.{relation.field}.all())",
        }.get(group.trigger or "", f"a loop over {owner}.{relation.field}.all()")
        self.notes[lineage.lookup + "!"] = (
            f"{relation.field} is prefetched already, but {call} queries again (a prefetched "
            f"manager serves only .all()): read {instead} instead, or narrow the prefetch with "
            f"Prefetch({relation.field!r}, queryset=..., to_attr=...)"
        )

    def _prefetched(self, lookup: str) -> bool:
        return any(_lookup(p) == lookup for p in self.prefetch)

    def _add(self, group: NPlusOneGroup, lineage: Lineage) -> None:
        path, lookup = lineage.path, lineage.lookup
        if path[-1].kind == "deferred":
            self.fields.append(path[-1].field)
        elif path[0].narrowed:
            head = self._ancestor(group.record_ids[0], len(path) - 1)
            self._narrow(path, head, group.trigger if len(path) == 1 else None)
        elif all(relation.single_valued for relation in path):
            if _self_referential(path[-1]):
                spot = self.spot(self.by_id[group.record_ids[0]])
                depth = chain_depth(*spot, path[-1].field) if spot else 0
                lookup = "__".join([lookup, *[path[-1].field] * (depth - 1)])
            self.select.append(lookup)
        elif len(path) == 1 and group.trigger in ("count", "exists", "aggregate"):
            self._per_row(group, path[0])
        else:
            self.prefetch.append(path)

    def _per_row(self, group: NPlusOneGroup, relation: Relation) -> None:
        """count(), exists() or aggregate() per row: an annotation on the loop's queryset."""
        lookup, owner = relation.field, self._owner(group, relation)
        record = self.by_id[group.record_ids[0]]
        method = self._method(record, relation, owner)
        instead = method or f"{owner}.{lookup}.{group.trigger}()"
        if group.trigger == "count":
            self.counts[lookup] = repr(lookup)
            self.notes[lookup] = f"read {owner}.{lookup}_count instead of {instead}"
            return
        if group.trigger == "exists":
            found = exists_annotation(relation, record.sql, class_name(relation.target))
        else:
            found = next(iter(aggregate_annotations(record.sql, lookup)), None)
        if found is None:
            self.prefetch.append((relation,))
            return
        name, code = found
        self.annotations[name] = code
        self.notes[lookup + "?" + name] = f"read {owner}.{name} instead of {instead}"

    def _method_name(self, record: QueryRecord) -> str | None:
        """ "Product.placement_total()" when a model's method or property ran the query."""
        spot = self.spot(record)
        return enclosing_method(*spot) if spot else None

    def _method(self, record: QueryRecord, relation: Relation, owner: str) -> str | None:
        """ "owner.placement_total()" when a method of the relation's model ran the query;
        "owner.comments.count() in PostSerializer.get_comment_count() (file:line)" when a
        method of another class (a serializer's, a ModelAdmin's) did."""
        spot = self.spot(record)
        found = enclosing_method(*spot) if spot else None
        if found is None:
            return None
        class_part, _, name = found.partition(".")
        place = file_place(record.source_file, record.source_lineno) or record.source
        if class_part != class_name(relation.model):
            return f"{owner}.{relation.field}.{record.evaluation}() in {found} ({place})"
        root_spot = self.spot(self.root) if self.root is not None else None
        target = loop_target(*root_spot) if root_spot else None
        return f"{target or class_part.lower()}.{name} ({found}, {place})"

    def _owner(self, group: NPlusOneGroup, relation: Relation) -> str:
        """The name the loop reads the relation from (`p` in p.comments.count())."""
        record = self.by_id[group.record_ids[0]]
        found = relation_chain(self.text(record), relation.field)
        spot = self.spot(record)
        if found is None and spot is not None:
            found = related_chain(*spot, relation.field)
        if found is not None and found[0].isidentifier() and found[0] != "self":
            return found[0]
        # In a model's method: the name the loop gives each row.
        root_spot = self.spot(self.root) if self.root is not None else None
        target = loop_target(*root_spot) if root_spot else None
        return target or class_name(relation.model).lower()

    def _ancestor(self, record_id: int, steps: int) -> QueryRecord:
        for _ in range(steps):
            record_id = self.parents.get(record_id, record_id)
        return self.by_id[record_id]

    def _narrow(self, path: tuple[Relation, ...], head: QueryRecord, trigger: str | None) -> None:
        relation = path[0]
        found = relation_chain(self.text(head), relation.field)
        spot = self.spot(head)
        if (found is None or not found[1]) and spot is not None:
            found = related_chain(*spot, relation.field) or found
        owner, chain = found if found else (class_name(relation.model).lower(), "")
        entry = self.narrowed.setdefault(
            (relation.field, chain), _Narrowed(relation, owner, chain, trigger)
        )
        if len(path) > 1:
            entry.inner.append(path[1:])
        elif trigger is not None:
            entry.trigger = trigger

    def _prefetch_object(self, entry: _Narrowed) -> tuple[str, str] | None:
        """(to_attr, Prefetch(...) code) for a narrowed relation; None for a filtered Count or
        a chain that cannot be read (then a note says what to do, never a placeholder)."""
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
        target = class_name(entry.relation.target)
        if not chain:
            self.notes[f"{field_name}?"] = (
                f"{owner}.{field_name} is filtered, ordered or sliced where the kit cannot read "
                f"it: repeat those calls in Prefetch({field_name!r}, queryset="
                f"{target}.objects.<the same calls>, to_attr='prefetched_{field_name}') and read "
                f"{owner}.prefetched_{field_name}"
            )
            return None
        inner = _inner_calls(entry.inner)
        queryset = f"{target}.objects{inner}{chain}"
        attr = f"prefetched_{field_name}"
        while attr in self.attrs:  # two differently narrowed querysets of one relation
            attr += "_2"
        self.attrs.add(attr)
        used = {"count": f"len({owner}.{attr})", "exists": f"bool({owner}.{attr})"}.get(
            entry.trigger or "", f"{owner}.{attr}"
        )
        already = (
            f"{field_name} is prefetched already, but {owner}.{field_name}{chain} queries again: "
            if field_name in self.existing
            else ""
        )
        self.notes[f"{field_name}?{chain}"] = (
            f"{already}use {used} instead of {owner}.{field_name}{chain}: a filtered, ordered "
            "or sliced related queryset is not served by prefetch_related()"
        )
        return attr, f"Prefetch({field_name!r}, queryset={queryset}, to_attr={attr!r})"


def _lookup(path: Sequence[Relation]) -> str:
    return "__".join(relation.field for relation in path)


def _inner_calls(paths: Sequence[tuple[Relation, ...]]) -> str:
    """select_related()/prefetch_related() calls for a Prefetch queryset reaching paths."""
    single = [_lookup(p) for p in paths if all(r.single_valued for r in p)]
    plain, objects = _prefetch_tree([p for p in paths if not all(r.single_valued for r in p)])
    text = _calls("select_related", [repr(s) for s in _outermost(single)])
    return text + _calls("prefetch_related", [*map(repr, plain), *(c for _, c in objects)])


def _prefetch_tree(
    paths: Sequence[tuple[Relation, ...]],
) -> tuple[list[str], list[tuple[str, str]]]:
    """Plain lookups, and (lookup, Prefetch(...)) where a path goes on past its first
    many-valued step: `comments__user` becomes Prefetch('comments',
    queryset=Comment.objects.select_related('user')), one query less, and no IN list of every
    user (SQLite: "Expression tree is too large" from 999 of them)."""
    heads: dict[str, tuple[tuple[Relation, ...], list[tuple[Relation, ...]]]] = {}
    for path in paths:
        cut = next(i for i, r in enumerate(path) if not r.single_valued) + 1
        head, tail = path[:cut], path[cut:]
        entry = heads.setdefault(_lookup(head), (head, []))
        if tail:
            entry[1].append(tail)
    plain: list[str] = []
    objects: list[tuple[str, str]] = []
    for lookup, (head, tails) in heads.items():
        target = class_name(head[-1].target)
        if not tails or not target:
            plain.append(lookup)
        else:
            queryset = f"{target}.objects{_inner_calls(tails)}"
            objects.append((lookup, f"Prefetch({lookup!r}, queryset={queryset})"))
    return plain, objects


def _outermost(lookups: list[str]) -> tuple[str, ...]:
    """The lookups in first-seen order, without those another one extends (a, a__b -> a__b)."""
    unique = list(dict.fromkeys(lookups))
    return tuple(a for a in unique if not any(b.startswith(a + "__") for b in unique))
