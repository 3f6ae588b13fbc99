"""One cache call as the hooks see it: its keys and version read from the arguments, a private
default that tells a miss from a stored None, get_or_set's default watched, the hits.

Relies on (Django 5.2) the BaseCache method signatures: where each operation takes its
key(s) and its version (_KEY_ARGS, _VERSION_ARG), and get()/get_or_set()'s `default`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from kit.capture.cache_records import CACHE_OPS

# op -> where its key(s) are (position, keyword), or None for clear().
_KEY_ARGS: dict[str, tuple[int, str] | None] = {
    op: (0, "keys" if op in ("get_many", "delete_many") else "data" if op == "set_many" else "key")
    for op in CACHE_OPS
}
_KEY_ARGS["clear"] = None
# op -> the position of its version argument (None: it has none).
_VERSION_ARG = {
    "get": 2, "get_many": 1, "set": 3, "set_many": 2, "add": 3, "delete": 1, "delete_many": 1,
    "incr": 2, "decr": 2, "touch": 2, "clear": None, "get_or_set": 3, "has_key": 1,
    "incr_version": 2, "decr_version": 2,
}  # fmt: skip


class Call:
    """One outermost cache call: what it was and how it went, filled in by the hook."""

    __slots__ = (
        "alias", "computed", "duration", "error", "hit", "instance", "keys", "op", "start",
        "stored", "thread", "version",
    )  # fmt: skip

    def __init__(self, op: str, alias: str, instance: Any) -> None:
        self.op, self.alias, self.instance = op, alias, instance
        self.keys: tuple[Any, ...] = ()
        self.version: Any = None
        self.hit: tuple[bool, ...] | None = None
        self.start = self.duration = 0.0
        self.error: str | None = None
        self.thread = ""
        # Set by a nested add()/set() (get_or_set's store) or its default being computed.
        self.stored = False
        # When get_or_set's callable default ran (perf_counter start and end), if it did: the
        # queries in between are the application's, not the backend's.
        self.computed: tuple[float, float] | None = None


current_call: ContextVar[Call | None] = ContextVar("kit_cache_call", default=None)
MISSING = object()  # the default a hooked get() passes down, so a miss is told from a None
_names = threading.local()


def thread_name() -> str:
    """The calling thread's name, looked up once per thread."""
    try:
        return _names.name  # type: ignore[no-any-return]
    except AttributeError:
        _names.name = threading.current_thread().name  # current_thread() is two Python calls
        return _names.name  # type: ignore[no-any-return]


def read_arguments(call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Note the call's keys and version; the args with an iterator of keys made a list."""
    spec = _KEY_ARGS[call.op]
    if spec is not None:
        position, name = spec
        given = args[position] if len(args) > position else kwargs.get(name)
        if spec[1] == "key":
            call.keys = (given,)
        elif spec[1] == "data":
            call.keys = tuple(given) if given is not None else ()
        else:
            keys = given if given is None or isinstance(given, list | tuple) else list(given)
            call.keys = tuple(keys or ())
            if keys is not given:  # an iterator can be consumed only once: by the backend
                if len(args) > position:
                    args = (*args[:position], keys, *args[position + 1 :])
                else:
                    kwargs[name] = keys
    at = _VERSION_ARG[call.op]
    if at is not None:
        call.version = args[at] if len(args) > at else kwargs.get("version")
    return args


def prepare_arguments(
    call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any]:
    """The args to call with (get: our own default; get_or_set: a watched one) and the
    application's default for get()."""
    op = call.op
    if op == "get":
        if len(args) > 1:
            default, args = args[1], (args[0], MISSING, *args[2:])
        else:
            default, kwargs["default"] = kwargs.get("default"), MISSING
        return args, default
    if op == "get_or_set":
        given = args[1] if len(args) > 1 else kwargs.get("default")
        if callable(given):
            watched = _watched(given, call)
            if len(args) > 1:
                args = (args[0], watched, *args[2:])
            else:
                kwargs["default"] = watched
    return args, None


def _watched(compute: Callable[[], Any], call: Call) -> Callable[[], Any]:
    """get_or_set's default, noting that it ran; its own cache calls are the application's."""

    def default() -> Any:
        call.stored = True
        token = current_call.set(None)
        start = perf_counter()
        try:
            return compute()
        finally:
            call.computed = (start, perf_counter())
            current_call.reset(token)

    return default


def finish_call(call: Call, result: Any, default: Any) -> Any:
    """The result the application gets, and the call's hits."""
    op = call.op
    if op == "get":
        found = result is not MISSING
        call.hit = (found,)
        return result if found else default
    if op == "get_many":
        call.hit = tuple(key in result for key in call.keys)
    elif op == "has_key":
        call.hit = (bool(result),)
    elif op == "get_or_set":
        call.hit = (not call.stored,)
    return result
