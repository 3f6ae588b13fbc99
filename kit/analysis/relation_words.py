"""A relation as the findings name it: "Post.author (foreign key)", and an N+1 finding's list of
the relations it loads one at a time: "Post.author (foreign key): 20 at line 3"."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kit.analysis.fixes import class_name
from kit.analysis.groups import NPlusOneGroup
from kit.capture.records import QueryRecord, Relation

__all__ = ["describe_relation", "relation_parts"]

_KIND_WORDS = {
    "forward": "foreign key",
    "one_to_one": "one-to-one",
    "reverse_one_to_one": "reverse one-to-one",
    "reverse_fk": "reverse foreign key",
    "m2m": "many-to-many",
    "generic": "generic relation",
    "generic_fk": "generic foreign key",
    "deferred": "deferred field",
}


def describe_relation(relation: Relation) -> str:
    """ "Post.author (foreign key)"."""
    kind = _KIND_WORDS.get(relation.kind, relation.kind)
    return f"{class_name(relation.model)}.{relation.field} ({kind})"


def relation_parts(
    groups: Iterable[NPlusOneGroup],
    by_id: dict[int, QueryRecord],
    where: Callable[[QueryRecord], str],
) -> str:
    """ "Post.author (foreign key): 20 at line 3; Post.tags (many-to-many): 20 at line 4"."""
    return "; ".join(
        f"{describe_relation(g.relation)}: {g.count:,} at {where(by_id[g.record_ids[0]])}"
        for g in groups
        if g.relation is not None
    )
