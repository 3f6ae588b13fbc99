"""Eager loads a block never used: select_related() / prefetch_related() lookups whose related
objects no code read.

No public hook tells when a related object is read, so for the duration of one block only
(DESIGN.md, "Hooks") these are changed and put back when the last block that tracks ends, on
error too (tests/conftest.py's leak check looks at them):

- QuerySet._fetch_all: a queryset that has select_related() or prefetch_related() and is
  evaluated now is an eager load, noted with its lookups and the user's line. The function is
  replaced by Django's own body plus the note, not wrapped: a wrapper would be one more frame
  under every query, which the stack walk would pay for (benchmarks/README.md). When the
  installed Django's source is not the one this module copies, it is wrapped instead;
- QuerySet._prefetch_related_objects: Django's prefetching reads the related managers it fills
  (getattr(instance, "comments")); those reads are not the user's and are not counted;
- the related descriptors of every installed model (ForwardManyToOneDescriptor: forward foreign
  keys and one-to-ones; ReverseOneToOneDescriptor; ReverseManyToOneDescriptor: reverse foreign
  keys, many-to-many either way (ManyToManyDescriptor) and GenericRelation; GenericForeignKey)
  each wear a subclass of their class whose __get__ marks the descriptor as read, then gives it
  its own class back: after its first read a descriptor costs nothing more. The subclass keeps
  the class's module and qualified name (deconstruct(), isinstance() and repr see the same
  class; pickling a descriptor not yet read inside a block would fail, as pickle finds another
  class under that name). A descriptor that could not wear it (or a model made during the block)
  is never judged.

Used means read anywhere in the block, on any instance: a lookup is reported only when no code
read its attribute at all (never a false alarm for a lookup used elsewhere). Prefetch() objects
with to_attr are read as plain attributes: they are not tracked. The names read are Django 4.2's
and 5.2's: query.select_related (a dict tree, or True for every non-null foreign key: not
tracked), _prefetch_related_lookups, a Prefetch's prefetch_through and to_attr, the
descriptors' field / related / rel / reverse. benchmarks/eager_overhead.py measures the cost.
"""

from __future__ import annotations

import functools
import inspect
import sys
import textwrap
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
        self.watched: frozenset[int] = frozenset()

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
        # copy(): another thread may add to them meanwhile (one step under the GIL).
        self.touched = frozenset(_touched.copy())
        self.watched = frozenset(_watched.copy())

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
            if id(descriptor) not in self.watched:
                return None  # its reads were not seen (a model made during the block)
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
# id(descriptor) -> descriptor that wore a tracking class since the hooks went on: only these
# are judged (a descriptor never watched may have been read unseen).
_watched: dict[int, Any] = {}
# A descriptor class -> the subclass its descriptors wear while watched.
_tracking_classes: dict[type, type] = {}
_ORIGINAL = "_kit_original_class"


def _tracked_get(self: Any, instance: Any, cls: Any = None) -> Any:
    # The __get__ of a watched descriptor, on its first reads only.
    original = type(self).__dict__[_ORIGINAL]
    if instance is not None and not getattr(_prefetching, "depth", 0):
        _touched[id(self)] = self
        self.__class__ = original  # read: from now on Django's own __get__, nothing more
    return original.__get__(self, instance, cls)


def _tracking_class(cls: type) -> type:
    found = _tracking_classes.get(cls)
    if found is None:
        found = _tracking_classes[cls] = type(
            cls.__name__,
            (cls,),
            {
                "__get__": _tracked_get,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                _ORIGINAL: cls,
                EAGER_HOOK_MARK: True,
            },
        )
    return found


def _model_descriptors() -> Iterator[tuple[type, str, Any]]:
    """(model, attribute, descriptor) of every related descriptor on an installed model."""
    classes = _descriptor_classes()
    for model in apps.get_models(include_auto_created=True):
        for name, value in list(vars(model).items()):
            if isinstance(value, classes):
                yield model, name, value


def _watch() -> None:
    for _, _, descriptor in _model_descriptors():
        cls = type(descriptor)
        if _ORIGINAL in cls.__dict__ or id(descriptor) in _watched:
            continue  # one descriptor on two models (inherited), or already watched
        try:
            descriptor.__class__ = _tracking_class(cls)
        except TypeError:  # a class of another layout (__slots__): never judged
            continue
        _watched[id(descriptor)] = descriptor


def _unwatch() -> None:
    for descriptor in _watched.values():
        original = type(descriptor).__dict__.get(_ORIGINAL)
        if original is not None:
            descriptor.__class__ = original
    _watched.clear()


def _note(self: Any) -> None:
    """An evaluated queryset with select_related() or prefetch_related(): an eager load."""
    for tracker in _active:
        tracker.loaded(self, sys._getframe(2))


def _fetch_all(self: Any) -> None:
    # Django's QuerySet._fetch_all (the same source in 4.2 and 5.2: _DJANGO_FETCH_ALL), then the
    # eager load's note. No frame more under the queries it runs.
    fresh = self._result_cache is None
    if fresh:
        self._result_cache = list(self._iterable_class(self))
    if self._prefetch_related_lookups and not self._prefetch_done:
        self._prefetch_related_objects()
    if fresh and (self.query.select_related or self._prefetch_related_lookups):
        _note(self)


setattr(_fetch_all, EAGER_HOOK_MARK, True)

# The body _fetch_all above copies: replaced only when the installed Django's is this one.
_DJANGO_FETCH_ALL = """def _fetch_all(self):
    if self._result_cache is None:
        self._result_cache = list(self._iterable_class(self))
    if self._prefetch_related_lookups and not self._prefetch_done:
        self._prefetch_related_objects()
"""


@functools.lru_cache(maxsize=4)
def _same_fetch_all(original: Any) -> bool:
    """True when original's source is _DJANGO_FETCH_ALL (read once per function)."""
    try:
        source = textwrap.dedent(inspect.getsource(original))
    except (OSError, TypeError):
        return False
    return source.strip() == _DJANGO_FETCH_ALL.strip()


def _wrap_fetch_all(original: Any) -> Any:
    if _same_fetch_all(original):
        return _fetch_all

    def wrapped_fetch_all(self: Any) -> None:
        fresh = self._result_cache is None
        original(self)
        if fresh and (self.query.select_related or self._prefetch_related_lookups):
            _note(self)

    setattr(wrapped_fetch_all, EAGER_HOOK_MARK, True)
    return wrapped_fetch_all


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
    hooks = [
        (QuerySet, "_fetch_all", _wrap_fetch_all),
        (QuerySet, "_prefetch_related_objects", _wrap_prefetch),
    ]
    for cls, name, wrap in hooks:
        original = vars(cls)[name]
        _originals.append((cls, name, original))
        setattr(cls, name, wrap(original))
    _watch()


def _uninstall() -> None:
    _unwatch()
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)
    _touched.clear()


def eager_hooks_installed() -> list[str]:
    """ "Class.method" of every Django class that carries an eager-load hook now, and
    "Model.attribute" of every related descriptor still watched."""
    found = [
        f"QuerySet.{name}"
        for name, value in vars(QuerySet).items()
        if getattr(value, EAGER_HOOK_MARK, False)
    ]
    found += [
        f"{model.__qualname__}.{name}"
        for model, name, descriptor in _model_descriptors()
        if _ORIGINAL in type(descriptor).__dict__
    ]
    return found


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
