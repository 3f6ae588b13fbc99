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
    for record in sorted(records, key=lambda r: r.id):
        relation, model = record.relation, record.model
        if model is None or sql_shape(record.sql).kind != "SELECT":
            continue
        lineage = None
        if relation is not None and relation.model:
            start = latest_on_line.get((relation.model, record.source)) or latest.get(
                relation.model
            )
            if start is not None:
                parents[record.id] = start[0]
                lineage = start[1].extend(relation)
        if lineage is None and (relation is not None or record.evaluation in ROOT_TRIGGERS):
            lineage = Lineage(record.id)
        if lineage is None:
            continue
        found[record.id] = lineage
        if record.evaluation in LOADING_TRIGGERS and (
            lineage.path or record.evaluation in ROOT_TRIGGERS
        ):
            latest[model] = latest_on_line[(model, record.source)] = (record.id, lineage)
    return found, parents
