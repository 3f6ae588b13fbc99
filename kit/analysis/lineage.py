"""Trace where the objects behind each lazy query came from: a root queryset and a path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kit.analysis.fingerprint import sql_shape
from kit.capture.records import QueryRecord, Relation

__all__ = ["LOADING_TRIGGERS", "ROOT_TRIGGERS", "Lineage", "trace_lineage"]

# Evaluations that load many rows of a queryset: such a query can be the root of a path.
ROOT_TRIGGERS = frozenset({"iteration", "len", "bool", "repr"})
# Evaluations that load model instances at all (count() or exists() load none).
LOADING_TRIGGERS = ROOT_TRIGGERS | {
    "slicing",
    "get",
    "first",
    "last",
    "earliest",
    "latest",
    "in_bulk",
    "related",
    "prefetch",
}


@dataclass(frozen=True, slots=True)
class Lineage:
    """A query's objects were reached from the root query's rows through path."""

    root_id: int
    path: tuple[Relation, ...] = ()

    @property
    def lookup(self) -> str:
        """The path as a Django lookup: ``comments__user``."""
        return "__".join(relation.field for relation in self.path)

    def extend(self, relation: Relation) -> Lineage:
        """The lineage one relation further."""
        return Lineage(self.root_id, (*self.path, relation))


def trace_lineage(records: Iterable[QueryRecord]) -> tuple[dict[int, Lineage], dict[int, int]]:
    """Each query's root and path, and each path query's parent (the query it started from).

    The objects a lazy query starts from are taken to be the latest ones loaded of its
    relation's model, preferring those loaded from the same source line (as in
    ``comment.user.username``): records keep no rows, so this is inference, not tracking.
    """
    found: dict[int, Lineage] = {}
    parents: dict[int, int] = {}
    latest: dict[str, tuple[int, Lineage]] = {}
    latest_on_line: dict[tuple[str, str | None], tuple[int, Lineage]] = {}
    root_on_line: dict[str | None, tuple[int, Lineage]] = {}
    for record in sorted(records, key=lambda r: r.id):
        relation, model = record.relation, record.model
        # A generic foreign key's target model is only known at run time: its queries have no
        # model, and they start from the objects that hold the key.
        generic = relation is not None and relation.kind == "generic_fk"
        if (model is None and not generic) or sql_shape(record.sql).kind != "SELECT":
            continue
        lineage = None
        if relation is not None and relation.model:
            start = latest_on_line.get((relation.model, record.source)) or latest.get(
                relation.model
            )
            if start is None and root_on_line.get(record.source) is not None:
                # A child model's rows reading a field of its parent model (multi-table
                # inheritance: the relation names the parent): the root loaded on this line.
                start = root_on_line[record.source]
            if start is not None:
                parents[record.id] = start[0]
                lineage = start[1].extend(relation)
        if lineage is None and (relation is not None or record.evaluation in ROOT_TRIGGERS):
            lineage = Lineage(record.id)
        if lineage is None:
            continue
        found[record.id] = lineage
        if (
            model is not None
            and record.evaluation in LOADING_TRIGGERS
            and (lineage.path or record.evaluation in ROOT_TRIGGERS)
        ):
            latest[model] = latest_on_line[(model, record.source)] = (record.id, lineage)
            if not lineage.path:
                root_on_line[record.source] = (record.id, lineage)
    return found, parents
