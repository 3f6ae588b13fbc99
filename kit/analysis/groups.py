"""Group queries: exact duplicates, similar ones (same fingerprint) and N+1 groups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kit.analysis.fingerprint import SqlShape, sql_shape
from kit.capture.records import QueryRecord, Relation

__all__ = [
    "DEFAULT_THRESHOLD",
    "QUERY_KINDS",
    "DuplicateGroup",
    "NPlusOneGroup",
    "SimilarGroup",
    "check_threshold",
    "find_n_plus_one",
    "group_duplicates",
    "group_similar",
    "most_common",
    "params_key",
]

# A loop over N objects sends N queries: from 3 on, the same query shape from one line with
# different params is a loop rather than two deliberate calls (say, the first and the last).
DEFAULT_THRESHOLD = 3


def check_threshold(threshold: int, name: str = "threshold") -> int:
    """The N+1 threshold, checked: a whole number, 2 or more (one query is no loop)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
        raise ValueError(f"{name} must be 2 or more, not {threshold!r}.")
    return threshold


# Statements that carry data. Transaction control (SAVEPOINT, RELEASE...) repeats by design.
QUERY_KINDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "OTHER"})


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Queries with the same SQL and the same params on one database: the same rows again."""

    alias: str
    sql: str
    fingerprint: str
    record_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SimilarGroup:
    """Queries of the same shape (fingerprint) on one database, from any line, any params."""

    alias: str
    fingerprint: str
    kind: str
    tables: tuple[str, ...]
    record_ids: tuple[int, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NPlusOneGroup:
    """The same query shape sent again and again from one source line with different params.

    relation is what the queries followed (``blog.Post.author``), when the ORM call showed it;
    trigger is what evaluated most of them; rendered_from is where Django rendered them from
    (a template line, a serializer field, an admin column), the line they are grouped by then.
    """

    alias: str
    fingerprint: str
    kind: str
    tables: tuple[str, ...]
    source: str | None
    line: int | None
    record_ids: tuple[int, ...]
    distinct_params: int
    relation: Relation | None
    trigger: str | None
    rendered_from: str | None = None

    @property
    def count(self) -> int:
        """How many queries the group holds."""
        return len(self.record_ids)


def params_key(params: object) -> Hashable:
    """A hashable stand-in for a query's params (lists and dicts become their repr)."""
    try:
        hash(params)
    except TypeError:
        return repr(params)
    return params  # type: ignore[return-value]


def _queries(records: Iterable[QueryRecord]) -> Iterable[tuple[QueryRecord, SqlShape]]:
    for record in records:
        shape = sql_shape(record.sql)
        if shape.kind in QUERY_KINDS:
            yield record, shape


def group_duplicates(records: Iterable[QueryRecord]) -> list[DuplicateGroup]:
    """Groups of 2+ queries with identical SQL and params, most repeated first."""
    groups: dict[tuple[str, str, Hashable], list[QueryRecord]] = {}
    for record, _ in _queries(records):
        groups.setdefault((record.alias, record.sql, params_key(record.params)), []).append(record)
    found = [
        DuplicateGroup(alias, sql, sql_shape(sql).fingerprint, tuple(r.id for r in members))
        for (alias, sql, _), members in groups.items()
        if len(members) > 1
    ]
    return sorted(found, key=lambda g: (-len(g.record_ids), g.record_ids[0]))


def group_similar(records: Iterable[QueryRecord]) -> list[SimilarGroup]:
    """Groups of 2+ queries with one fingerprint, most queries first."""
    groups: dict[tuple[str, SqlShape], list[QueryRecord]] = {}
    for record, shape in _queries(records):
        groups.setdefault((record.alias, shape), []).append(record)
    found = [
        SimilarGroup(
            alias,
            shape.fingerprint,
            shape.kind,
            shape.tables,
            tuple(r.id for r in members),
            tuple(dict.fromkeys(s for s in (r.source for r in members) if s is not None)),
        )
        for (alias, shape), members in groups.items()
        if len(members) > 1
    ]
    return sorted(found, key=lambda g: (-len(g.record_ids), g.record_ids[0]))


def find_n_plus_one(
    records: Iterable[QueryRecord], threshold: int = DEFAULT_THRESHOLD
) -> list[NPlusOneGroup]:
    """N+1 groups: `threshold` or more queries of one shape from one line, params varying.

    The line is where Django rendered the query from (a template line, a serializer field, an
    admin column) when it did, else the query's source line, else the view of its request.
    """
    check_threshold(threshold)
    groups: dict[tuple[str, SqlShape, str], list[QueryRecord]] = {}
    for record, shape in _queries(records):
        view = record.view
        place = record.rendered_from or record.source or (view.name if view else None)
        if place is not None:
            groups.setdefault((record.alias, shape, place), []).append(record)
    found = []
    for (alias, shape, _), members in groups.items():
        distinct = len({params_key(r.params) for r in members})
        if len(members) >= threshold and distinct > 1:
            found.append(
                NPlusOneGroup(
                    alias=alias,
                    fingerprint=shape.fingerprint,
                    kind=shape.kind,
                    tables=shape.tables,
                    source=most_common([r.source for r in members]),
                    line=most_common([r.line for r in members]),
                    record_ids=tuple(r.id for r in members),
                    distinct_params=distinct,
                    relation=most_common([r.relation for r in members]),
                    trigger=most_common([r.evaluation for r in members]),
                    rendered_from=members[0].rendered_from,
                )
            )
    return sorted(found, key=lambda g: g.record_ids[0])


T = TypeVar("T")


def most_common(values: Sequence[T | None]) -> T | None:
    """The most frequent value that is not None (the first seen on a tie), else None."""
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None
