"""Eager loads a block never used: select_related() / prefetch_related() lookups whose related
objects no code read.

No public hook tells when a related object is read, so for the duration of one block only
(DESIGN.md, "Hooks") three things are wrapped on their classes and put back when the last block
that tracks ends, on error too (tests/conftest.py's leak check looks at them):

- QuerySet._fetch_all: a queryset that has select_related() or prefetch_related() and is
  evaluated now is an eager load, noted with its lookups and the user's line;
- QuerySet._prefetch_related_objects: Django's prefetching reads the related managers it fills
  (getattr(instance, "comments")); those reads are not the user's and are not counted;
- the __get__ of the related descriptors (ForwardManyToOneDescriptor: forward foreign keys and
  one-to-ones; ReverseOneToOneDescriptor; ReverseManyToOneDescriptor: reverse foreign keys,
  many-to-many either way (ManyToManyDescriptor) and GenericRelation; GenericForeignKey): a
  read of the attribute on an instance marks the descriptor as used.

Used means read anywhere in the block, on any instance: a lookup is reported only when no code
read its attribute at all (never a false alarm for a lookup used elsewhere). Prefetch() objects
with to_attr are read as plain attributes: they are not tracked. The names read are Django 4.2's
and 5.2's: query.select_related (a dict tree, or True for every non-null foreign key: not
tracked), _prefetch_related_lookups, a Prefetch's prefetch_through and to_attr, the
descriptors' field / related / rel / reverse. benchmarks/eager_overhead.py measures the cost.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.db.models.query import QuerySet

from kit.capture.eager_records import EagerLoad
from kit.capture.frames import find_origin, origin_fields
from kit.capture.relations import model_label

__all__ = ["EAGER_HOOK_MARK", "EagerLoad", "EagerTracker", "eager_hooks_installed", "track_eager"]

EAGER_HOOK_MARK = "_kit_eager_hook"
_DESCRIPTORS: tuple[type, ...] = (
    ForwardManyToOneDescriptor,
    ReverseOneToOneDescriptor,
    ReverseManyToOneDescriptor,
)


def _descriptor_classes() -> tuple[type, ...]:
    """The related descriptor classes, GenericForeignKey when contenttypes is installed (its
    module imports ContentType, which needs the app)."""
    if not apps.is_installed("django.contrib.contenttypes"):
        return _DESCRIPTORS
    from django.contrib.contenttypes.fields import GenericForeignKey

    return (*_DESCRIPTORS, GenericForeignKey)


@dataclass
class _Load:
    kind: str
    model: Any
    lookups: tuple[str, ...]
    rows: int
    origin: tuple[Any, int, int | None, Any]  # find_origin()'s code, offset, line, entry


class EagerTracker:
    """What one block loaded eagerly and which related descriptors it read."""

    def __init__(self, cell_filename: str | None = None) -> None:
        self.cell_filename = cell_filename
        self.loads: list[_Load] = []
        # Filled when the block ends (done()): the ids of the descriptors read meanwhile.
        self.touched: frozenset[int] | None = None

    def loaded(self, queryset: Any, frame: Any) -> None:
        """Note an evaluated queryset's select_related / prefetch_related lookups."""
        tree = queryset.query.select_related
        prefetches = tuple(
            p if isinstance(p, str) else p.prefetch_through
            for p in queryset._prefetch_related_lookups
            if isinstance(p, str) or getattr(p, "to_attr", None) is None
        )
        rows = len(queryset._result_cache or ())
        if not rows:
            return
        found = find_origin(frame, self.cell_filename)
        origin = found[:4] if found is not None else (None, -1, None, None)
        if isinstance(tree, dict) and tree:
            paths = tuple(_paths(tree))
            self.loads.append(_Load("select_related", queryset.model, paths, rows, origin))
        if prefetches:
            self.loads.append(_Load("prefetch_related", queryset.model, prefetches, rows, origin))

    def done(self) -> None:
        """The block is over: keep which descriptors were read (the hooks may come off)."""
        self.touched = frozenset(_touched)

    def unused(self) -> list[EagerLoad]:
        """The lookups of every eager load whose related objects were never read."""
        if self.touched is None:
            self.done()  # asked inside the block: what was read so far
        found = []
        lines: dict[tuple[int, int], int | None] = {}
        for load in self.loads:
            verdicts = {lookup: self._unused_part(load.model, lookup) for lookup in load.lookups}
            kept = tuple(k for k, v in verdicts.items() if v is None)
            code, lasti, cell_line, entry = load.origin
            source_file, lineno, line, _ = origin_fields(code, lasti, cell_line, entry, lines)
            for lookup, verdict in verdicts.items():
                if verdict is None:
                    continue
                unused, columns = verdict
                found.append(
                    EagerLoad(
                        kind=load.kind,
                        model=model_label(load.model),
                        lookup=lookup,
                        unused=unused,
                        kept=kept,
                        rows=load.rows,
                        columns=columns if load.kind == "select_related" else 0,
                        source_file=source_file,
                        source_lineno=lineno,
                        line=line,
                    )
                )
        return found

    def _unused_part(self, model: Any, lookup: str) -> tuple[str, int] | None:
        """(the lookup up to its first step never read, the columns from there), else None."""
        parts = lookup.split("__")
        for depth, part in enumerate(parts):
            descriptor = _static(model, part)
            if descriptor is None or not isinstance(descriptor, _descriptor_classes()):
                return None  # not a relation this module knows: say nothing
            if id(descriptor) not in (self.touched or ()):
                return "__".join(parts[: depth + 1]), _columns(model, parts[depth:])
            model = _next_model(descriptor)
            if model is None:
                return None
        return None


def _paths(tree: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """The leaf lookups of a select_related tree: {"author": {"profile": {}}} gives
    author__profile."""
    for name, below in tree.items():
        path = f"{prefix}{name}"
        if below:
            yield from _paths(below, path + "__")
        else:
            yield path


def _static(model: Any, name: str) -> Any:
    """The class attribute `name` of model, without calling its __get__."""
    for klass in getattr(model, "__mro__", ()):
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _next_model(descriptor: Any) -> Any:
    if isinstance(descriptor, ForwardManyToOneDescriptor):
        return descriptor.field.remote_field.model
    if isinstance(descriptor, ReverseOneToOneDescriptor):
        return descriptor.related.related_model
    if isinstance(descriptor, ManyToManyDescriptor):
        return descriptor.rel.related_model if descriptor.reverse else descriptor.rel.model
    if isinstance(descriptor, ReverseManyToOneDescriptor):
        return descriptor.rel.related_model
    return None  # a generic foreign key: no one model


def _columns(model: Any, parts: list[str]) -> int:
    """The concrete columns of the models a select_related path adds from parts on."""
    total = 0
    for part in parts:
        descriptor = _static(model, part)
        model = _next_model(descriptor) if descriptor is not None else None
        if model is None:
            break
        total += len(model._meta.concrete_fields)
    return total


# The trackers of the blocks running now (any thread), and the originals put back after.
_active: list[EagerTracker] = []
_originals: list[tuple[type, str, Any]] = []
_lock = threading.Lock()
_prefetching = threading.local()
# id(descriptor) -> descriptor read on an instance since the hooks went on (the value keeps the
# id unique). Shared by the blocks running now: a block nested in another sees the outer one's
# reads too, which can only make a lookup look used.
_touched: dict[int, Any] = {}


def _note(descriptor: Any) -> None:
    """A first read of descriptor on an instance, unless Django's prefetching made it."""
    if not getattr(_prefetching, "depth", 0):
        _touched[id(descriptor)] = descriptor


def _wrap_get(original: Any) -> Any:
    # The hot path: one set lookup per read once the descriptor has been read (measured in
    # benchmarks/eager_overhead.py).
    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is not None and id(self) not in _touched:
            _note(self)
        return original(self, instance, cls)

    setattr(__get__, EAGER_HOOK_MARK, True)
    return __get__


def _wrap_fetch_all(original: Any) -> Any:
    def _fetch_all(self: Any) -> None:
        fresh = self._result_cache is None
        original(self)
        if fresh and (self.query.select_related or self._prefetch_related_lookups):
            for tracker in _active:
                tracker.loaded(self, sys._getframe(1))

    setattr(_fetch_all, EAGER_HOOK_MARK, True)
    return _fetch_all


def _wrap_prefetch(original: Any) -> Any:
    def _prefetch_related_objects(self: Any) -> None:
        _prefetching.depth = getattr(_prefetching, "depth", 0) + 1
        try:
            original(self)
        finally:
            _prefetching.depth -= 1

    setattr(_prefetch_related_objects, EAGER_HOOK_MARK, True)
    return _prefetch_related_objects


def _install() -> None:
    _touched.clear()
    hooks = [(cls, "__get__", _wrap_get) for cls in _descriptor_classes()]
    hooks += [
        (QuerySet, "_fetch_all", _wrap_fetch_all),
        (QuerySet, "_prefetch_related_objects", _wrap_prefetch),
    ]
    for cls, name, wrap in hooks:
        original = vars(cls)[name]
        _originals.append((cls, name, original))
        setattr(cls, name, wrap(original))


def _uninstall() -> None:
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)
    _touched.clear()


def eager_hooks_installed() -> list[str]:
    """ "Class.method" of every Django class that carries an eager-load hook now."""
    classes = (*_descriptor_classes(), QuerySet)
    return [
        f"{cls.__qualname__}.{name}"
        for cls in classes
        for name, value in vars(cls).items()
        if getattr(value, EAGER_HOOK_MARK, False)
    ]


@contextmanager
def track_eager(cell_filename: str | None = None) -> Iterator[EagerTracker]:
    """Track the block's eager loads and related reads; the hooks come off when it ends."""
    tracker = EagerTracker(cell_filename)
    with _lock:
        if not _active:
            _install()
        _active.append(tracker)
    try:
        yield tracker
    finally:
        with _lock:
            tracker.done()
            _active.remove(tracker)
            if not _active:
                _uninstall()
