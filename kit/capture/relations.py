"""Name the relation behind a lazy query from the Django objects of the running ORM call.

What is read here is Django 4.2's and 5.2's shape (the versions .ci/run tests): a field's or
reverse relation's is_relation, one_to_one, many_to_many, one_to_many, related_model, model,
name, get_accessor_name() and remote_field; a descriptor's field or related; a related
queryset's _known_related_objects (reverse FK) or _hints["instance"] (M2M) and its query's
where, order_by, marks, distinct, select_related, annotations, deferred_loading and alias_map;
a related manager's field, instance, model and prefetch_cache_name. Private attributes are read
with defaults, and None gives None. On a Django of another shape, the AttributeError, TypeError
or LookupError of a read becomes "no relation" in kit.capture.frames (UNKNOWN_SHAPE).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Field, ForeignObjectRel
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.db.models.query import ModelIterable

from kit.capture.records import Relation

# Caches keyed by id() of a Django object, each value holding that object: descriptors and
# fields live as long as their model, and holding them here keeps their ids from being reused.
# Not keyed by the object itself: a field hashes in Python and a reverse relation hashes its
# whole `identity` tuple, several microseconds per query. Model classes hash by identity.
_label_by_model: dict[Any, str] = {}
_by_field: dict[int, tuple[Any, Relation | None]] = {}
_by_descriptor: dict[int, tuple[Any, Relation | None]] = {}
# Read directly by the stack walk (a function call less per lazy foreign key).
facts_by_descriptor: dict[int, tuple[Any, str | None, int | None]] = {}
_between: dict[tuple[Any, Any], tuple[Any, ...]] = {}
# id(foreign key) -> (foreign key, index of its reverse relation, the same narrowed): what the
# queryset of a reverse FK manager records (the evaluation of post.comments.all() per post).
_reverse_by_field: dict[int, tuple[Any, int | None, int | None]] = {}
# relation -> the same relation marked narrowed (one object each, so it can be indexed below).
_narrowed_of: dict[int, tuple[Relation, Relation]] = {}

# A query's row holds its relation as an index into _relations, not as the object: a row of
# strings and numbers is one the garbage collector stops tracking at its first pass, while a
# row holding a Relation (a slots instance) stays tracked through every later pass. On the N+1
# loop (7,951 rows) that made each pass over the middle generation take 1.5 ms instead of
# 0.9 ms, and each full pass 32 ms instead of 24 ms.
_relations: list[Relation] = []
_index_by_id: dict[int, int] = {}
_lock = threading.Lock()


def model_label(model: Any) -> str:
    """'app_label.ModelName' of a model class (cached)."""
    label = _label_by_model.get(model)
    if label is None:
        label = _label_by_model[model] = model._meta.label
    return label


def label_of(model: Any) -> str | None:
    """model_label() of a model class; None for None or anything that is not a model."""
    try:
        return _label_by_model[model]  # the usual case first: one lookup
    except (KeyError, TypeError):
        return model_label(model) if model is not None and hasattr(model, "_meta") else None


def _kind(field: Any) -> str | None:
    if isinstance(field, ForeignObjectRel):
        if field.one_to_one:
            return "reverse_one_to_one"
        return "m2m" if field.many_to_many else "reverse_fk"
    if not getattr(field, "is_relation", False):
        return None
    if field.many_to_many:
        return "m2m"
    if field.one_to_one:
        return "one_to_one"
    if field.one_to_many:
        return "generic"  # GenericRelation: the only one-to-many that is a field
    # A GenericForeignKey has no fixed target model; a ForeignKey has one.
    return "forward" if field.related_model is not None else "generic_fk"


def relation_of(field: Any) -> Relation | None:
    """The relation a field (or a reverse relation) follows from its model, as plain strings."""
    cached = _by_field.get(id(field))
    if cached is not None:
        return cached[1]
    kind = _kind(field)
    relation = None
    name = field.get_accessor_name() if isinstance(field, ForeignObjectRel) else field.name
    # A hidden reverse relation (related_name="+" or "...+") has no accessor to name.
    if kind is not None and name and not name.endswith("+"):
        # For a reverse relation too, .model is the model the attribute is on.
        target = field.related_model
        relation = Relation(
            model=model_label(field.model),
            field=name,
            kind=kind,
            target=model_label(target) if target is not None else "",
        )
    _by_field[id(field)] = (field, relation)
    return relation


def descriptor_facts(descriptor: Any) -> tuple[Any, str | None, int | None]:
    """(descriptor, target model label, relation index) that a lazy access through it records.

    The stack walk reads these per query for every lazy foreign key: cached per descriptor.
    """
    facts = facts_by_descriptor.get(id(descriptor))
    if facts is None:
        relation = descriptor_relation(descriptor)
        target = (relation.target or None) if relation else None
        facts = (descriptor, target, relation_index(relation))
        if id(descriptor) in _by_descriptor:  # a real descriptor, which lives with its model
            facts_by_descriptor[id(descriptor)] = facts
    return facts


def descriptor_relation(descriptor: Any) -> Relation | None:
    """The relation of a forward FK / one-to-one descriptor, a reverse one-to-one or a GFK."""
    cached = _by_descriptor.get(id(descriptor))
    if cached is not None:
        return cached[1]
    if isinstance(descriptor, ForwardManyToOneDescriptor):
        relation = relation_of(descriptor.field)
    elif isinstance(descriptor, ReverseOneToOneDescriptor):
        relation = relation_of(descriptor.related)
    elif isinstance(descriptor, Field):
        relation = relation_of(descriptor)  # GenericForeignKey is its own descriptor
    else:
        # A prefetcher that is a related manager: made anew per access, so never kept here.
        return None
    _by_descriptor[id(descriptor)] = (descriptor, relation)
    return relation


def _candidates(holder: Any, target: Any) -> tuple[Any, ...]:
    """The many-valued relations from holder to target (cached per pair of models)."""
    key = (holder, target)
    found = _between.get(key)
    if found is None:
        found = _between[key] = tuple(
            f
            for f in holder._meta.get_fields()
            if f.is_relation and (f.many_to_many or f.one_to_many) and f.related_model is target
        )
    return found


def _through_table(field: Any) -> str | None:
    rel = field if isinstance(field, ForeignObjectRel) else field.remote_field
    through = getattr(rel, "through", None)
    return through._meta.db_table if through is not None else None


def _relation_between(holder: Any, target: Any, query: Any, name: str | None) -> Relation | None:
    """The one many-valued relation from holder to target; names and joins break ties."""
    candidates = _candidates(holder, target)
    if name is not None:
        candidates = tuple(f for f in candidates if name in (f.name, _accessor(f)))
    if query is not None:
        # A many-to-many queryset always joins its through table: this also keeps
        # refresh_from_db() of a model with a self-referencing M2M from looking like one.
        joined = {join.table_name for join in query.alias_map.values()}
        candidates = tuple(
            f for f in candidates if not f.many_to_many or _through_table(f) in joined
        )
    return relation_of(candidates[0]) if len(candidates) == 1 else None


def _accessor(field: Any) -> str | None:
    return field.get_accessor_name() if isinstance(field, ForeignObjectRel) else None


def _narrowed(queryset: Any) -> bool:
    """True when a related queryset was filtered, ordered, sliced or reshaped by the caller.

    Such a queryset bypasses prefetched results, so a plain prefetch_related() cannot serve it.
    """
    query = queryset.query
    return bool(
        len(query.where.children) > 1
        or query.order_by
        or query.low_mark
        or query.high_mark is not None
        or query.distinct
        or query.select_related
        or query.annotations
        or query.deferred_loading[0]
        or getattr(queryset, "_iterable_class", ModelIterable) is not ModelIterable
    )


def queryset_relation(queryset: Any) -> Relation | None:
    """The relation a related manager's queryset follows (reverse FK, M2M), else None.

    A reverse FK manager leaves its field in _known_related_objects, an M2M manager its
    instance in the hints. A GenericRelation manager leaves neither (Django 4.2, 5.2): its queries
    are grouped as N+1 but not named, unless they come from a prefetch_related() level.
    """
    # Private attributes, read with defaults: a Django version without them finds no relation.
    known = getattr(queryset, "_known_related_objects", None)
    if known:
        relation = relation_of(next(iter(known)).remote_field)
    else:
        hints = getattr(queryset, "_hints", None)
        instance = hints.get("instance") if hints else None
        if instance is None:
            return None
        relation = _relation_between(type(instance), queryset.model, queryset.query, None)
    if relation is not None and _narrowed(queryset):
        return _marked_narrowed(relation)
    return relation


def queryset_relation_index(queryset: Any) -> int | None:
    """relation_index(queryset_relation(queryset)); for a reverse FK, one cache lookup."""
    known = getattr(queryset, "_known_related_objects", None)
    if not known:
        return relation_index(queryset_relation(queryset))
    field = next(iter(known))
    facts = _reverse_by_field.get(id(field))
    if facts is None:
        relation = relation_of(field.remote_field)
        narrowed = None if relation is None else relation_index(_marked_narrowed(relation))
        facts = _reverse_by_field[id(field)] = (field, relation_index(relation), narrowed)
    if facts[1] is None:
        return None
    return facts[2] if _narrowed(queryset) else facts[1]


def _marked_narrowed(relation: Relation) -> Relation:
    """relation.narrow(), one object per relation (relations here come from the caches above)."""
    cached = _narrowed_of.get(id(relation))
    if cached is None:
        cached = _narrowed_of[id(relation)] = (relation, relation.narrow())
    return cached[1]


def manager_relation(manager: Any) -> Relation | None:
    """The relation of a related manager (M2M count()/exists(), a prefetcher)."""
    field = getattr(manager, "field", None)
    if field is not None and isinstance(getattr(field, "remote_field", None), ForeignObjectRel):
        return relation_of(field.remote_field)  # reverse FK: .field is the child's FK
    # A third-party prefetcher may be neither: whatever it lacks, no relation is named.
    instance, model = getattr(manager, "instance", None), getattr(manager, "model", None)
    if not hasattr(type(instance), "_meta") or model is None:
        return None
    name = getattr(manager, "prefetch_cache_name", None)
    return _relation_between(type(instance), model, None, name)


def prefetcher_relation(prefetcher: Any) -> Relation | None:
    """The relation a prefetch_related() level follows: its descriptor or related manager."""
    return descriptor_relation(prefetcher) or manager_relation(prefetcher)


def relation_index(relation: Relation | None) -> int | None:
    """A small int standing for relation in a query's row (None for None); see relation_at."""
    if relation is None:
        return None
    index = _index_by_id.get(id(relation))
    if index is None:
        with _lock:
            index = _index_by_id.get(id(relation))
            if index is None:
                # Kept in _relations before its id is published: the id stays unique.
                _relations.append(relation)
                index = _index_by_id[id(relation)] = len(_relations) - 1
    return index


def relation_at(index: int | None) -> Relation | None:
    """The relation relation_index() gave index for."""
    return None if index is None else _relations[index]
