"""What each code object on a query's stack is: the user's, internal or an ORM trigger (cached).

The stack walk in kit.capture.frames runs once per query over Django's deep ORM stack (9 frames
for a lazy foreign key). Classifying a frame by its module name, then looking its qualified
name up in TRIGGERS, cost two or three dict lookups per frame; a code object's answer never
changes, so it is computed on first sight and found again with one lookup on id(code). (A code
object run under another module's globals keeps the kind of the first one it was seen with.)
"""

from __future__ import annotations

import sys
import threading
from types import CodeType, FrameType

# Frames from these top-level packages are never "the user's line". The stdlib is added below.
# Matching on the module name (not the file path) keeps virtualenv layouts and editable
# installs from mattering.
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
# The Django modules whose functions say what evaluated a query: only their qualified names are
# looked up in TRIGGERS. The names are Django 4.2's and 5.2's, the versions .ci/run tests
# (tests/test_django_versions.py finds each one in the installed Django's source). On another
# version a function renamed or gone is simply no trigger: the walk passes it as internal and
# the query's trigger is None, never an error.
INSPECTED_MODULES = frozenset(
    {
        "django.db.models.base",
        "django.db.models.query",
        "django.db.models.query_utils",
        "django.db.models.fields.related_descriptors",
        "django.contrib.contenttypes.fields",
    }
)

# Roles. Of the frames with an outer role, the outermost says what evaluated the query: a
# QuerySet method (QUERYSET: `self` is the queryset), the same on a related manager (MANAGER),
# a Model method (INSTANCE: `self` is the model instance). The innermost frame with an inner
# role wins over them, as it ran its own query inside whatever evaluated the outer queryset: a
# related attribute's descriptor (DESCRIPTOR: its `self`), a deferred field (DEFERRED: its
# `instance`), a prefetch_related() level (PREFETCH: its `prefetcher`).
QUERYSET, MANAGER, INSTANCE = "queryset", "manager", "instance"
DESCRIPTOR, DEFERRED, PREFETCH = "descriptor", "deferred", "prefetch"
OUTER_ROLES = frozenset({QUERYSET, MANAGER, INSTANCE})
Spec = tuple[str, str, bool]  # (trigger, role, role is outer): the walk tests [2], nothing more
_M2M = "create_forward_many_to_many_manager.<locals>.ManyRelatedManager."
_TRIGGER_ROLES: dict[str, tuple[str, str]] = {
    "QuerySet.__iter__": ("iteration", QUERYSET),
    "QuerySet.iterator": ("iteration", QUERYSET),
    "QuerySet.__len__": ("len", QUERYSET),
    "QuerySet.__bool__": ("bool", QUERYSET),
    "QuerySet.__getitem__": ("slicing", QUERYSET),
    "QuerySet.__repr__": ("repr", QUERYSET),
    "QuerySet.count": ("count", QUERYSET),
    "QuerySet.exists": ("exists", QUERYSET),
    "QuerySet.contains": ("contains", QUERYSET),
    "QuerySet.first": ("first", QUERYSET),
    "QuerySet.last": ("last", QUERYSET),
    "QuerySet.earliest": ("earliest", QUERYSET),
    "QuerySet.latest": ("latest", QUERYSET),
    "QuerySet.get": ("get", QUERYSET),
    "QuerySet.in_bulk": ("in_bulk", QUERYSET),
    "QuerySet.aggregate": ("aggregate", QUERYSET),
    "QuerySet.create": ("create", QUERYSET),
    "QuerySet.get_or_create": ("get_or_create", QUERYSET),
    "QuerySet.update_or_create": ("update_or_create", QUERYSET),
    "QuerySet.bulk_create": ("bulk_create", QUERYSET),
    "QuerySet.bulk_update": ("bulk_update", QUERYSET),
    "QuerySet.update": ("update", QUERYSET),
    "QuerySet.delete": ("delete", QUERYSET),
    "Model.save": ("save", INSTANCE),
    "Model.delete": ("delete", INSTANCE),
    "Model.refresh_from_db": ("refresh_from_db", INSTANCE),
    # Django 5.1+. On 4.2 an M2M manager's count()/exists() is QuerySet.count()/exists() on the
    # manager's queryset, whose instance hint names the same relation (relations.py).
    _M2M + "count": ("count", MANAGER),
    _M2M + "exists": ("exists", MANAGER),
    "ForwardManyToOneDescriptor.__get__": ("related", DESCRIPTOR),
    # Called by __get__ alone, with the same `self`: as the innermost frame it is the one read,
    # and its 3 locals cost half of __get__'s 8 to turn into f_locals.
    "ForwardManyToOneDescriptor.get_object": ("related", DESCRIPTOR),
    "ReverseOneToOneDescriptor.__get__": ("related", DESCRIPTOR),
    "GenericForeignKey.__get__": ("related", DESCRIPTOR),
    "DeferredAttribute.__get__": ("deferred", DEFERRED),
    "prefetch_one_level": ("prefetch", PREFETCH),
}
TRIGGERS: dict[str, Spec] = {
    name: (trigger, role, role in OUTER_ROLES) for name, (trigger, role) in _TRIGGER_ROLES.items()
}

# What a code object is: USER (the walk stops there), INTERNAL (walk on), or its trigger Spec.
# Both are Specs only so that every kind has one type; the walk tells them apart with `is`.
USER: Spec = ("", "user", False)
INTERNAL: Spec = ("", "internal", False)

# id(code) -> kind. _kept holds every code object counted here, so no id in the dict can belong
# to a code object that was freed and whose id another one reuses. Writers hold _lock: an id is
# added only after its code is kept, and the ids go before the codes that keep them unique.
kind_by_code: dict[int, Spec] = {}
_kept: list[CodeType] = []
_lock = threading.Lock()
# Every notebook cell compiles new code objects: past this many, start over (a relearn is cheap).
MAX_CODES = 4096


def classify_module(module: str | None, qualname: str) -> Spec:
    """The kind of a function named qualname, defined in the module named module."""
    top = (module or "").partition(".")[0]
    # The stdlib is internal, but a script or a cell runs as "__main__": that is the user.
    if top not in INTERNAL_PACKAGES and (top not in sys.stdlib_module_names or top == "__main__"):
        return USER
    if module in INSPECTED_MODULES:
        return TRIGGERS.get(qualname, INTERNAL)
    return INTERNAL


def learn(frame: FrameType) -> Spec:
    """Classify the frame's code object (by its module's name) and remember the answer."""
    code = frame.f_code
    kind = classify_module(frame.f_globals.get("__name__"), code.co_qualname)
    with _lock:
        if len(_kept) >= MAX_CODES:
            kind_by_code.clear()
            _kept.clear()
        _kept.append(code)
        kind_by_code[id(code)] = kind
    return kind
