"""The view a request resolved to, as a ViewRef: read once per view from Django's URL callback.

kit.capture.sites calls view_ref() with the `callback` local of BaseHandler._get_response (Django
4.2, 5.2): the function Django's URL resolver returned. Class-based views carry their class as
`view_class` (View.as_view(); DRF's APIView.as_view() keeps it through csrf_exempt's wraps()), a
ModelAdmin's views carry their ModelAdmin as `model_admin` (ModelAdmin.get_urls()'s wrap()),
and decorated function views their function as `__wrapped__` (functools.wraps).
"""

from __future__ import annotations

import inspect
import sys
import threading
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import ManyToOneRel

from kit.capture.records import ViewRef

# id(callback) -> (callback, its ViewRef): URL callbacks live as long as the URLconf; keeping
# them here keeps their ids from being reused.
_by_callback: dict[int, tuple[Any, ViewRef | None]] = {}
_lock = threading.Lock()
MAX_VIEWS = 4096
# How deep Django's select_related() without arguments follows foreign keys (Query.max_depth).
SELECT_RELATED_DEPTH = 5


def view_ref(callback: Any) -> ViewRef | None:
    """The ViewRef of a URL callback (cached), or None for something that is not a view."""
    cached = _by_callback.get(id(callback))
    if cached is not None and cached[0] is callback:
        return cached[1]
    ref = _read(callback)
    with _lock:
        if len(_by_callback) >= MAX_VIEWS:
            _by_callback.clear()
        _by_callback[id(callback)] = (callback, ref)
    return ref


def _dotted(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _module_file(obj: Any) -> str | None:
    return getattr(sys.modules.get(obj.__module__), "__file__", None)


def _class_line(cls: type) -> int | None:
    """The line of a class's `class` statement (its source read once, as the view is cached)."""
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None  # no source: a class made at run time, a .pyc alone


def _read(callback: Any) -> ViewRef | None:
    if callback is None:
        return None
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None:
        cls = type(model_admin)
        return ViewRef(
            name=_dotted(cls),
            kind="admin",
            file=_module_file(cls),
            lineno=_class_line(cls),
            model=model_admin.model._meta.label,
            loads=changelist_loads(model_admin),
        )
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if isinstance(view_class, type):
        return ViewRef(
            name=_dotted(view_class),
            kind="class",
            file=_module_file(view_class),
            lineno=_class_line(view_class),
        )
    function = inspect.unwrap(callback)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return ViewRef(
        name=_dotted(function), kind="function", file=code.co_filename, lineno=code.co_firstlineno
    )


def changelist_loads(model_admin: Any) -> tuple[tuple[str, str], ...]:
    """The relations a ModelAdmin's changelist select_related()s today: (lookup, model label)
    for every step ("author", then "author__profile").

    Django's ChangeList.apply_select_related(): list_select_related=True, or False with a
    foreign key named in list_display, is select_related() with no arguments (every non-null
    forward foreign key, SELECT_RELATED_DEPTH deep); a list or tuple is exactly those lookups.
    """
    model = model_admin.model
    chosen = model_admin.list_select_related
    if chosen is True or (chosen is False and _related_column(model_admin)):
        return _non_null_steps(model, SELECT_RELATED_DEPTH)
    steps: dict[str, str] = {}
    for lookup in chosen or ():
        steps.update(_steps(model, lookup))
    return tuple(steps.items())


def _related_column(model_admin: Any) -> bool:
    """ChangeList.has_related_field_in_list_display() for the ModelAdmin's list_display."""
    opts = model_admin.model._meta
    for name in model_admin.list_display:
        if not isinstance(name, str):
            continue
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field.remote_field, ManyToOneRel) and name != field.attname:
            return True
    return False


def _non_null_steps(model: Any, depth: int, prefix: str = "") -> tuple[tuple[str, str], ...]:
    """What select_related() without arguments joins: non-null forward FKs and one-to-ones
    (not multi-table parent links), recursively (django.db.models.query_utils'
    select_related_descend with restricted=False)."""
    if depth == 0:
        return ()
    found: list[tuple[str, str]] = []
    for field in model._meta.fields:
        remote = field.remote_field
        if remote is None or getattr(remote, "parent_link", False) or field.null:
            continue
        lookup = prefix + field.name
        found.append((lookup, field.related_model._meta.label))
        found += _non_null_steps(field.related_model, depth - 1, lookup + "__")
    return tuple(found)


def _steps(model: Any, lookup: str) -> dict[str, str]:
    """Each step of a select_related() lookup and the model it reaches (unknown names stop)."""
    steps: dict[str, str] = {}
    path = ""
    for name in lookup.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            break
        model = field.related_model
        if model is None:
            break
        path = f"{path}__{name}" if path else name
        steps[path] = model._meta.label
    return steps
