"""Find the user's line behind a query, and what evaluated it, in one walk up the stack."""

from __future__ import annotations

import linecache
import re
import sys
from itertools import islice
from types import FrameType
from typing import Any

from kit.capture.records import Relation
from kit.capture.relations import (
    descriptor_relation,
    manager_relation,
    model_label,
    prefetcher_relation,
    queryset_relation,
)

# Frames from these top-level packages are never "the user's line". The stdlib is added below.
# Matching on the module name (not the file path) keeps virtualenv layouts and editable
# installs from mattering, and one dict lookup per frame keeps the walk at about 1.5 us.
INTERNAL_PACKAGES = frozenset(
    {
        "django",
        "kit",
        "IPython",
        "ipykernel",
        "asgiref",
        "traitlets",
        "debug_toolbar",
        "django_extensions",
        "pytest",
        "_pytest",
        "pluggy",
        "pytest_django",
        "tornado",
        "zmq",
        "jupyter_client",
    }
)
# The Django modules whose functions say what evaluated a query: only their frames are looked
# at more closely (one more dict lookup), so the walk stays cheap everywhere else.
INSPECTED_MODULES = frozenset(
    {
        "django.db.models.base",
        "django.db.models.query",
        "django.db.models.query_utils",
        "django.db.models.fields.related_descriptors",
        "django.contrib.contenttypes.fields",
    }
)
USER, INTERNAL, INSPECTED = 0, 1, 2

# Roles: Q a QuerySet method (the outermost one seen says what evaluated the query), M the same
# on a related manager, D a lazy related attribute and P a prefetch_related() level (the
# innermost of these wins: it ran its own query inside whatever evaluated the outer queryset).
Q, M, D, P = "Q", "M", "D", "P"
_M2M = "create_forward_many_to_many_manager.<locals>.ManyRelatedManager."
TRIGGERS: dict[str, tuple[str, str]] = {
    "QuerySet.__iter__": ("iteration", Q),
    "QuerySet.iterator": ("iteration", Q),
    "QuerySet.__len__": ("len", Q),
    "QuerySet.__bool__": ("bool", Q),
    "QuerySet.__getitem__": ("slicing", Q),
    "QuerySet.__repr__": ("repr", Q),
    "QuerySet.count": ("count", Q),
    "QuerySet.exists": ("exists", Q),
    "QuerySet.contains": ("contains", Q),
    "QuerySet.first": ("first", Q),
    "QuerySet.last": ("last", Q),
    "QuerySet.earliest": ("earliest", Q),
    "QuerySet.latest": ("latest", Q),
    "QuerySet.get": ("get", Q),
    "QuerySet.in_bulk": ("in_bulk", Q),
    "QuerySet.aggregate": ("aggregate", Q),
    "QuerySet.create": ("create", Q),
    "QuerySet.get_or_create": ("get_or_create", Q),
    "QuerySet.update_or_create": ("update_or_create", Q),
    "QuerySet.bulk_create": ("bulk_create", Q),
    "QuerySet.bulk_update": ("bulk_update", Q),
    "QuerySet.update": ("update", Q),
    "QuerySet.delete": ("delete", Q),
    "Model.save": ("save", Q),
    "Model.delete": ("delete", Q),
    "Model.refresh_from_db": ("refresh_from_db", Q),
    _M2M + "count": ("count", M),
    _M2M + "exists": ("exists", M),
    "ForwardManyToOneDescriptor.__get__": ("related", D),
    "ReverseOneToOneDescriptor.__get__": ("related", D),
    "GenericForeignKey.__get__": ("related", D),
    "DeferredAttribute.__get__": ("deferred", D),
    "prefetch_one_level": ("prefetch", P),
}
_LEN_CALL = re.compile(r"len\s*\(")

_internal_by_module: dict[str | None, int] = {}


def _classify(module: str | None) -> int:
    top = (module or "").partition(".")[0]
    # The stdlib is internal, but a script or a cell runs as "__main__": that is the user.
    internal = top in INTERNAL_PACKAGES or (top in sys.stdlib_module_names and top != "__main__")
    flag = (INSPECTED if module in INSPECTED_MODULES else INTERNAL) if internal else USER
    _internal_by_module[module] = flag
    return flag


# (file, lineno, cell line, entry, trigger, model, relation)
Origin = tuple[
    str | None, int | None, int | None, str | None, str | None, str | None, Relation | None
]


def find_origin(frame: FrameType | None, cell_filename: str | None) -> Origin:
    """The query's user frame, cell line, Django entry point, trigger, model and relation.

    The entry point is the qualified name of the outermost internal function the user called;
    trigger, model and relation are described on kit.capture.records.QueryRecord.
    """
    # This runs once per query: locals and one dict lookup per frame keep it cheap; only the
    # few inspected frames pay for a qualified-name lookup.
    internal, triggers = _internal_by_module, TRIGGERS
    last = outer = inner = None
    outer_spec = inner_spec = None
    while frame is not None:
        module = frame.f_globals.get("__name__")
        flag = internal.get(module)
        if flag is None:
            flag = _classify(module)
        if not flag:
            break
        if flag == INSPECTED:
            spec = triggers.get(frame.f_code.co_qualname)
            if spec is not None:
                if spec[1] is Q or spec[1] is M:
                    outer, outer_spec = frame, spec
                elif inner is None:
                    inner, inner_spec = frame, spec
        last = frame
        frame = frame.f_back
    entry = last.f_code.co_qualname if last is not None else None
    if inner is not None and inner_spec is not None:
        trigger, model, relation = _lazy_access(inner, inner_spec)
    elif outer is not None and outer_spec is not None:
        trigger, model, relation = _evaluation(outer, outer_spec, frame)
    else:
        trigger = model = relation = None
    if frame is None:
        return None, None, None, entry, trigger, model, relation
    line = None if cell_filename is None else _cell_line(frame, cell_filename)
    return frame.f_code.co_filename, frame.f_lineno, line, entry, trigger, model, relation


def _cell_line(frame: FrameType | None, cell_filename: str) -> int | None:
    """The line of the cell's own frame at or above frame, else None."""
    # The query may come from a function defined elsewhere, called by the cell.
    while frame is not None and frame.f_code.co_filename != cell_filename:
        frame = frame.f_back
    return frame.f_lineno if frame else None


def _lazy_access(
    frame: FrameType, spec: tuple[str, str]
) -> tuple[str | None, str | None, Relation | None]:
    """(trigger, model, relation) of a lazy attribute or a prefetch level, from its locals."""
    trigger, role = spec
    locals_ = frame.f_locals
    if role is P:
        relation = prefetcher_relation(locals_.get("prefetcher"))
    elif trigger == "deferred":
        return trigger, _label_of(type(locals_.get("instance"))), None
    else:
        relation = descriptor_relation(locals_.get("self"))
    return trigger, (relation.target or None) if relation else None, relation


def _evaluation(
    frame: FrameType, spec: tuple[str, str], user: FrameType | None
) -> tuple[str | None, str | None, Relation | None]:
    """(trigger, model, relation) of the outermost queryset call, from its `self`."""
    trigger, role = spec
    this = frame.f_locals.get("self")
    if role is M:
        return trigger, _label_of(getattr(this, "model", None)), manager_relation(this)
    if trigger == "len" and user is not None and frame.f_back is user and not _calls_len(user):
        trigger = "iteration"  # list(qs), sorted(qs)... ask len() for a size hint first
    if frame.f_code.co_qualname.startswith("Model."):
        return trigger, _label_of(type(this)), None  # `self` is the model instance
    return trigger, _label_of(getattr(this, "model", None)), queryset_relation(this)


def _label_of(model: Any) -> str | None:
    return model_label(model) if model is not None and hasattr(model, "_meta") else None


def _calls_len(frame: FrameType) -> bool:
    """True when the call the frame is running starts with ``len(`` in its source."""
    code = frame.f_code
    # One position per 2-byte code unit: the running instruction's span is the whole call.
    position = next(islice(code.co_positions(), frame.f_lasti // 2, None), None)
    if position is None or position[0] is None or position[2] is None:
        return False
    text = linecache.getline(code.co_filename, position[0])
    # Columns count UTF-8 bytes.
    call = text.encode()[position[2] :].decode(errors="replace")
    return _LEN_CALL.match(call) is not None
