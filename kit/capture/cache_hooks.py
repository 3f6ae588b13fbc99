"""Hooks on the cache backend classes, installed only while a block captures cache calls.

Why the classes: Django has no public hook for cache calls (nothing like execute_wrapper), and
django.core.cache.caches makes one backend instance per alias per thread (and async context).
Wrapping the instances of the current thread, as django-debug-toolbar's CachePanel and
django-perf-rec's CacheRecorder do, misses every other thread and every instance made before
the block; the toolbar also leaves CacheHandler.create_connection patched for good, and counts a
cached None, or a get() with a default, the wrong way round. So the block sets one hook per
cache method on each configured backend class, which every instance in every thread calls, and
takes it off when the last block using that class ends, on error and KeyboardInterrupt too
(tests/conftest.py checks that no class keeps one). A class that inherits a method gets its own
attribute for the block, which is deleted after; one that defines it gets its own back.

Relies on (Django 5.2, read from its source; Django's main branch, whose BaseCache async
methods await each other instead of wrapping the sync ones, has the same names and signatures):
the BaseCache methods named in OPERATIONS; BaseCache's own get_many/get_or_set/has_key/incr/
set_many/delete_many/incr_version calling get/add/set/delete on self, and a backend's get calling
its get_many (the database cache), which must not be counted twice: only the outermost call the
application made is recorded, as a ContextVar says (sync_to_async copies it into its thread, and
an awaited call runs in the same context, so an aget() is one call too).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from functools import wraps
from time import perf_counter
from typing import Any, Protocol

from kit.capture.cache_aliases import alias_of, forget_instances
from kit.capture.cache_calls import (
    Call,
    current_call,
    finish_call,
    prepare_arguments,
    read_arguments,
    thread_name,
)
from kit.capture.cache_issuers import Issuer, issuer_of
from kit.capture.cache_records import CACHE_OPS, WRITE_OPS

# Set on every hook function: the leak check looks for it on the classes.
HOOK_MARK = "_kit_cache_hook"
# The methods hooked: each op, and its async twin (BaseCache's aget, aset_many...).
OPERATIONS = {**{op: op for op in CACHE_OPS}, **{f"a{op}": op for op in CACHE_OPS}}


class Recorder(Protocol):
    """What the hooks hand each call to (kit.capture.cache_recorder.CacheRecorder)."""

    aliases: frozenset[str]

    def record(self, call: Call, caller: Any, issuer: tuple[Issuer, Any] | None) -> None: ...


_lock = threading.Lock()
_recorders: tuple[Recorder, ...] = ()
# alias -> the active recorders that want its calls (remade whenever a recorder comes or goes).
_wanted: dict[str | None, tuple[Recorder, ...]] = {}
_users: dict[type, int] = {}  # class -> the active recorders that need it hooked
_saved: dict[type, list[tuple[str, Any]]] = {}  # class -> (name, its own attribute or _ABSENT)
_ABSENT = object()
# (class, method name) -> (the original it wraps, the hook): kept between blocks, never on a class.
_made: dict[tuple[type, str], tuple[Any, Callable[..., Any]]] = {}


def install(recorder: Recorder, classes: Iterable[type], hooked: list[type]) -> None:
    """Start handing calls on `classes` to recorder; `hooked` collects the classes counted."""
    global _recorders
    with _lock:
        _recorders = (*_recorders, recorder)
        _index_aliases()
        for cls in classes:
            _users[cls] = _users.get(cls, 0) + 1
            hooked.append(cls)
            if _users[cls] == 1:
                _hook_class(cls)


def remove(recorder: Recorder, hooked: list[type]) -> None:
    """Stop handing calls to recorder; unhook each class no other recorder needs."""
    global _recorders
    with _lock:
        _recorders = tuple(r for r in _recorders if r is not recorder)
        _index_aliases()
        while hooked:
            cls = hooked.pop()
            _users[cls] -= 1
            if _users[cls] == 0:
                del _users[cls]
                _unhook_class(cls)
        if not _recorders:
            forget_instances()


def _index_aliases() -> None:
    global _wanted
    aliases = {alias for recorder in _recorders for alias in recorder.aliases}
    _wanted = {a: tuple(r for r in _recorders if a in r.aliases) for a in aliases}


def hooked_classes() -> list[type]:
    """The classes that carry a hook now (empty outside a capturing block)."""
    with _lock:
        return list(_saved)


def _hook_class(cls: type) -> None:
    # The originals first, all of them: a hook must never wrap another class's hook.
    originals = [(name, op, _original(cls, name)) for name, op in OPERATIONS.items()]
    saved = _saved.setdefault(cls, [])
    for name, op, original in originals:
        if original is None:
            continue
        saved.append((name, cls.__dict__.get(name, _ABSENT)))  # before setattr: a restore is safe
        setattr(cls, name, _hook_for(cls, name, op, original))


def _hook_for(cls: type, name: str, op: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """The hook of cls.name around original: made once, then kept for the next blocks (making
    thirty hooks with functools.wraps was most of a block's set-up)."""
    made = _made.get((cls, name))
    if made is None or made[0] is not original:
        hook = _async_hook(op, original) if name != op else _sync_hook(op, original)
        made = _made[(cls, name)] = (original, hook)
    return made[1]


def _unhook_class(cls: type) -> None:
    for name, own in reversed(_saved.pop(cls, [])):
        if own is _ABSENT:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, own)


def _original(cls: type, name: str) -> Callable[..., Any] | None:
    """The method the class runs for name, looked up past any hook a base class carries."""
    for base in cls.__mro__:
        found = base.__dict__.get(name)
        if found is not None:
            return (
                getattr(found, "__wrapped__", found) if getattr(found, HOOK_MARK, False) else found
            )
    return None


def _begin(
    op: str, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Recorder, ...], Call, tuple[Any, ...], Any] | None:
    """The recorders that want this call, its Call, the args to call the backend with and the
    application's default for get(); None to pass the call through untouched."""
    outer = current_call.get()
    if outer is not None:
        if op in WRITE_OPS:
            outer.stored = True  # a get_or_set() storing its default
        return None
    # None when no recorder wants the alias, or none is left (a hook being removed while this
    # thread entered it).
    alias = alias_of(instance)
    wanted = _wanted.get(alias)
    if wanted is None or alias is None:
        return None
    call = Call(op, alias, instance)
    args = read_arguments(call, args, kwargs)
    args, default = prepare_arguments(call, args, kwargs)
    return wanted, call, args, default


def _end(wanted: tuple[Recorder, ...], call: Call, caller: Any) -> None:
    call.thread = thread_name()
    issuer = issuer_of(caller)
    for recorder in wanted:
        recorder.record(call, caller, issuer)


def _sync_hook(op: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        begun = _begin(op, self, args, kwargs)
        if begun is None:
            return original(self, *args, **kwargs)
        wanted, call, args, default = begun
        token = None
        try:
            token = current_call.set(call)
            call.start = perf_counter()
            return finish_call(call, original(self, *args, **kwargs), default)
        except BaseException as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            call.duration = perf_counter() - call.start
            if token is not None:
                current_call.reset(token)
            _end(wanted, call, sys._getframe(1))

    setattr(hook, HOOK_MARK, True)
    return hook


def _async_hook(op: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    async def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        begun = _begin(op, self, args, kwargs)
        if begun is None:
            return await original(self, *args, **kwargs)
        wanted, call, args, default = begun
        token = None
        try:
            token = current_call.set(call)  # copied into sync_to_async's thread with the context
            call.start = perf_counter()
            return finish_call(call, await original(self, *args, **kwargs), default)
        except BaseException as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            call.duration = perf_counter() - call.start
            if token is not None:
                current_call.reset(token)
            # The awaiting coroutine's frame: a running coroutine's f_back is its awaiter.
            _end(wanted, call, sys._getframe(1))

    setattr(hook, HOOK_MARK, True)
    return hook
