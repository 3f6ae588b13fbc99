"""What each code object on a query's stack is: the user's, internal, an ORM trigger or a place
Django renders from (cached).

The stack walk in kit.capture.frames runs once per query over Django's deep ORM stack (9 frames
for a lazy foreign key). Classifying a frame by its module name, then looking its qualified
name up in TRIGGERS, cost two or three dict lookups per frame; a code object's answer never
changes, so it is computed on first sight and found again with one lookup on id(code). (A code
object run under another module's globals keeps the kind of the first one it was seen with.)

"The user's code" is the user's own files: never the kit, Django and the libraries named below,
nor anything installed (site-packages, dist-packages) or the standard library. A project can
name more of its own packages or folders as internal (a monorepo's shared libraries) or as its
own (a package of its own installed into site-packages): configure() with the KIT_INTERNAL_CODE
and KIT_USER_CODE settings, read by kit.capture.context.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
from collections.abc import Iterable
from types import CodeType, FrameType

from kit.capture.records import ASYNC_QUERYSET_METHODS

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
        # Django REST framework: its serializers and views are where Django renders from (see
        # CONTEXTS), never the user's line, wherever it is installed.
        "rest_framework",
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
        "django.template.base",
        "django.core.handlers.base",
        "django.contrib.admin.templatetags.admin_list",
        "django.contrib.admin.views.main",
        "django.contrib.admin.options",
        "rest_framework.serializers",
        "django.db.backends.base.base",
        "asgiref.sync",
    }
)

# Roles. A Spec's third item says where the walk puts a frame: INNER and OUTER are triggers
# (below), the others are places Django renders from, read by kit.capture.sites (the innermost
# of each kind): a template node (TEMPLATE: Node.render_annotated, its `self`), a serializer
# field (SERIALIZER: Serializer.to_representation, its `self` and `field`), an admin changelist
# column or count (ADMIN), and the view the request resolved to (VIEW:
# BaseHandler._get_response, its `callback`). The names are Django 4.2's and 5.2's and DRF's.
INNER, OUTER, TEMPLATE, SERIALIZER, ADMIN, VIEW = range(6)
# BaseDatabaseWrapper.connect on the stack: Django is setting up a connection it opens (MySQL's
# SET statements, a feature probe); such a query belongs to no block (kit.capture.recorder).
SETUP = 6
# SyncToAsync.thread_handler on the stack: the query runs in sync_to_async's thread for a
# coroutine (the async ORM); the walk goes on in the awaiting frames (kit.capture.awaiting).
HANDOFF = 7
# Of the frames with an outer role, the outermost says what evaluated the query: a
# QuerySet method (QUERYSET: `self` is the queryset), the same on a related manager (MANAGER),
# a Model method (INSTANCE: `self` is the model instance). The innermost frame with an inner
# role wins over them, as it ran its own query inside whatever evaluated the outer queryset: a
# related attribute's descriptor (DESCRIPTOR: its `self`), a deferred field (DEFERRED: its
# `instance`), a prefetch_related() level (PREFETCH: its `prefetcher`).
QUERYSET, MANAGER, INSTANCE = "queryset", "manager", "instance"
DESCRIPTOR, DEFERRED, PREFETCH = "descriptor", "deferred", "prefetch"
OUTER_ROLES = frozenset({QUERYSET, MANAGER, INSTANCE})
Spec = tuple[str, str, int]  # (trigger, role, INNER/OUTER/a place): the walk tests [2] only
_M2M = "create_forward_many_to_many_manager.<locals>.ManyRelatedManager."
_TRIGGER_ROLES: dict[str, tuple[str, str]] = {
    "QuerySet.__iter__": ("iteration", QUERYSET),
    "QuerySet.iterator": ("iteration", QUERYSET),
    "RawQuerySet.__iter__": ("iteration", QUERYSET),
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
    # The async ORM (Django 4.2 and 5.2): the awaiting coroutine's frames, walked after the
    # executor thread's (kit.capture.awaiting); the outermost, so it wins over the sync call
    # the thread runs (aget over get).
    **{f"QuerySet.{name}": (name, QUERYSET) for name in ASYNC_QUERYSET_METHODS},
    "QuerySet.__aiter__.<locals>.generator": ("async for", QUERYSET),
    "Model.asave": ("asave", INSTANCE),
    "Model.adelete": ("adelete", INSTANCE),
    "Model.arefresh_from_db": ("arefresh_from_db", INSTANCE),
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
    name: (trigger, role, OUTER if role in OUTER_ROLES else INNER)
    for name, (trigger, role) in _TRIGGER_ROLES.items()
}
_ADMIN_LIST = "django.contrib.admin.templatetags.admin_list"
_HANDLER = "django.core.handlers.base"
# (module, qualified name) -> the place it renders: looked up with the module, as "results" is
# a common name.
PLACES: dict[tuple[str, str], Spec] = {
    ("django.template.base", "Node.render_annotated"): ("", "template", TEMPLATE),
    ("rest_framework.serializers", "Serializer.to_representation"): ("", "serializer", SERIALIZER),
    # A generator: its frame is on the stack while the changelist's template consumes it.
    (_ADMIN_LIST, "items_for_result"): ("", "admin", ADMIN),
    (_ADMIN_LIST, "results"): ("", "admin", ADMIN),
    ("django.contrib.admin.views.main", "ChangeList.get_results"): ("", "admin", ADMIN),
    ("django.contrib.admin.options", "ModelAdmin.changelist_view"): ("", "admin", ADMIN),
    (_HANDLER, "BaseHandler._get_response"): ("", "view", VIEW),
    (_HANDLER, "BaseHandler._get_response_async"): ("", "view", VIEW),
    ("django.db.backends.base.base", "BaseDatabaseWrapper.connect"): ("", "setup", SETUP),
    ("asgiref.sync", "SyncToAsync.thread_handler"): ("", "handoff", HANDOFF),
}

# What a code object is: USER (the walk stops there), INTERNAL (walk on), or its trigger Spec.
# Both are Specs only so that every kind has one type; the walk tells them apart with `is`.
USER: Spec = ("", "user", INNER)
INTERNAL: Spec = ("", "internal", INNER)

# id(code) -> kind. _kept holds every code object counted here, so no id in the dict can belong
# to a code object that was freed and whose id another one reuses. Writers hold _lock: an id is
# added only after its code is kept, and the ids go before the codes that keep them unique.
kind_by_code: dict[int, Spec] = {}
_kept: list[CodeType] = []
_lock = threading.Lock()
# Every notebook cell compiles new code objects: past this many, start over (a relearn is cheap).
MAX_CODES = 4096


# Where installed packages and the standard library live: a file under one is never the user's.
_LIBRARY_FOLDERS = {"site-packages", "dist-packages"}
_STDLIB = tuple(
    os.path.join(os.path.realpath(path), "")
    for path in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)


class _Configured:
    """Module names and folders a project declares internal or its own (configure())."""

    internal_modules: tuple[str, ...] = ()
    internal_paths: tuple[str, ...] = ()
    user_modules: tuple[str, ...] = ()
    user_paths: tuple[str, ...] = ()


_configured = _Configured()


def _split(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(dotted module names, folder prefixes): an entry with a path separator is a folder."""
    modules, paths = [], []
    for entry in entries:
        if os.sep in entry or "/" in entry:
            paths.append(os.path.join(os.path.realpath(entry), ""))
        else:
            modules.append(entry)
    return tuple(modules), tuple(paths)


def configure(internal: Iterable[str] = (), user: Iterable[str] = ()) -> None:
    """Declare more code internal (never the user's line) or the user's own, by dotted module
    name ("acme.shared") or folder ("/srv/monorepo/libs"); forgets what it learnt on a change."""
    internal_modules, internal_paths = _split(internal)
    user_modules, user_paths = _split(user)
    new = (internal_modules, internal_paths, user_modules, user_paths)
    old = (
        _configured.internal_modules,
        _configured.internal_paths,
        _configured.user_modules,
        _configured.user_paths,
    )
    if new == old:
        return
    with _lock:
        (
            _configured.internal_modules,
            _configured.internal_paths,
            _configured.user_modules,
            _configured.user_paths,
        ) = new
        kind_by_code.clear()
        _kept.clear()


def _in_package(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def is_library_file(filename: str) -> bool:
    """True for a file of an installed package (site-packages, dist-packages) or the stdlib."""
    if filename.startswith("<"):
        return filename.startswith("<frozen ")  # "<string>", a cell's "<ipython-input-1-...>"
    parts = filename.split(os.sep)
    if not _LIBRARY_FOLDERS.isdisjoint(parts):
        return True
    return os.path.realpath(filename).startswith(_STDLIB)


def classify(module: str | None, qualname: str, filename: str) -> Spec:
    """The kind of a function named qualname, defined in the module and file named."""
    if module in INSPECTED_MODULES:
        return TRIGGERS.get(qualname) or PLACES.get((module, qualname), INTERNAL)
    name = module or ""
    top = name.partition(".")[0]
    if top in INTERNAL_PACKAGES:
        return INTERNAL
    configured = _configured
    if _in_package(name, configured.internal_modules) or (
        configured.internal_paths and filename.startswith(configured.internal_paths)
    ):
        return INTERNAL
    if _in_package(name, configured.user_modules) or (
        configured.user_paths and filename.startswith(configured.user_paths)
    ):
        return USER
    # A script or a cell runs as "__main__": the user's, unless an installed tool runs so.
    if top in sys.stdlib_module_names and top != "__main__":
        return INTERNAL
    return INTERNAL if is_library_file(filename) else USER


def learn(frame: FrameType) -> Spec:
    """Classify the frame's code object (module name and file) and remember the answer."""
    code = frame.f_code
    kind = classify(frame.f_globals.get("__name__"), code.co_qualname, code.co_filename)
    with _lock:
        if len(_kept) >= MAX_CODES:
            kind_by_code.clear()
            _kept.clear()
        _kept.append(code)
        kind_by_code[id(code)] = kind
    return kind
