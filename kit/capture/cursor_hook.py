"""One process-wide hook on Django's cursor, installed while any block captures queries.

Why a class hook (issue 11): connection.execute_wrapper() wraps one connection object, and
Django keeps one per alias per thread (an asgiref Local). Wrapping this thread's connections,
and the ones other threads announce with connection_created, misses every connection another
thread opened before the block: a thread pool's worker that connected earlier, and asgiref's
sync_to_async executor thread (the async ORM) once its first block has connected it. And
execute_wrapper's exit pops the last wrapper, not its own, so two blocks exited out of order
remove each other's. So while any block captures, CursorWrapper.execute and executemany, which
every cursor of every thread runs for each query, are replaced; each block registers its
recorder and removes exactly that registration; the last one out restores Django's functions,
also on error and KeyboardInterrupt (tests/conftest.py checks that nothing is left).

Relies on (Django 4.2 and 5.2, read from their source; tests/test_threads_async.py checks the
installed one): CursorWrapper.execute and executemany, and CursorDebugWrapper's through super(),
only call self._execute_with_wrappers(sql, params, many, executor) with executor
self._execute or self._executemany; it nests the connection's execute_wrappers around executor
with the context {"connection": self.db, "cursor": self}. The replacements do the same, with
the recorders innermost (nearest the driver, where a wrapper appended last sits), and in the
common case (one block, no wrapper of the user's) call the recorder themselves: one Python frame
less per query than Django's own two. Django's assertNumQueries reads connection.queries_log,
which CursorDebugWrapper fills around all of it: unaffected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import partial
from types import FrameType
from typing import Any

from django.db.backends.utils import CursorWrapper

from kit.capture.awaiting import patch as patch_awaiting
from kit.capture.awaiting import patched as awaiting_patched
from kit.capture.awaiting import unpatch as unpatch_awaiting

Wrapper = Callable[..., Any]

_lock = threading.Lock()
# (recorder, aliases, context only) of every active block, in the order they began.
_blocks: tuple[tuple[Wrapper, frozenset[str], bool], ...] = ()
# alias -> what wraps its queries (remade whenever a block begins or ends): read once per query.
_wanted: dict[str, tuple[Wrapper, ...]] = {}
# The context-only recorders (a middleware's) active in this context: its thread, and the
# sync_to_async calls it awaits (asgiref copies the context into the executor thread).
_own: ContextVar[tuple[Wrapper, ...]] = ContextVar("kit_capture_own_blocks", default=())
_original: dict[str, Callable[..., Any]] | None = None


def _chain(
    cursor: Any, recorders: tuple[Wrapper, ...], sql: Any, params: Any, many: bool, executor: Any
) -> Any:
    # Django's CursorWrapper._execute_with_wrappers, with the blocks' recorders innermost.
    db = cursor.db
    for recorder in recorders:
        executor = partial(recorder, executor)
    for wrapper in reversed(db.execute_wrappers):
        executor = partial(wrapper, executor)
    return executor(sql, params, many, {"connection": db, "cursor": cursor})


def execute(self: Any, sql: Any, params: Any = None) -> Any:
    # CursorWrapper.execute while a block captures.
    db = self.db
    recorders = _wanted.get(db.alias)
    if recorders is None:
        return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)
    if len(recorders) == 1 and not db.execute_wrappers:
        # The common case: no partial to make, and the recorder is told where its walk starts.
        return recorders[0](
            self._execute, sql, params, False, {"connection": db, "cursor": self}, WALK_START
        )
    return _chain(self, recorders, sql, params, False, self._execute)


def executemany(self: Any, sql: Any, param_list: Any) -> Any:
    # CursorWrapper.executemany while a block captures.
    db = self.db
    recorders = _wanted.get(db.alias)
    if recorders is None:
        return self._execute_with_wrappers(sql, param_list, many=True, executor=self._executemany)
    if len(recorders) == 1 and not db.execute_wrappers:
        return recorders[0](
            self._executemany,
            sql,
            param_list,
            True,
            {"connection": db, "cursor": self},
            WALK_START,
        )
    return _chain(self, recorders, sql, param_list, True, self._executemany)


HOOK_CODE_IDS = frozenset(id(f.__code__) for f in (execute, executemany, _chain))
# Counted from a recorder these call directly: 0 the recorder, 1 execute or executemany here,
# 2 the code that called the cursor (CursorDebugWrapper's, with DEBUG on, then Django's or the
# user's).
WALK_START = 2


def cursor_frame(frame: FrameType) -> FrameType:
    """The hook's frame at or above frame (a recorder's caller): the walk to the user's line
    starts there, past any execute_wrapper of the user's own (never the query's line; the one
    that counts the set-up queries of a connection it opens would hide them)."""
    found: FrameType | None = frame
    while found is not None and id(found.f_code) not in HOOK_CODE_IDS:
        found = found.f_back
    return frame if found is None else found


class _ContextOnly:
    """A context-only recorder: passes on queries made outside the block's own context."""

    __slots__ = ("recorder",)

    def __init__(self, recorder: Wrapper) -> None:
        self.recorder = recorder

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict,
        walk_from: int = 0,
    ) -> Any:
        if self.recorder in _own.get():
            # One frame more (this one) between the recorder and the cursor's caller.
            return self.recorder(execute, sql, params, many, context, walk_from and walk_from + 1)
        return execute(sql, params, many, context)


def install(recorder: Wrapper, aliases: Iterable[str], context_only: bool = False) -> None:
    """Hand every query on `aliases`, from any thread, to recorder until remove(recorder).

    context_only: only the queries of the calling context (its thread, and what it awaits).
    """
    global _blocks
    if context_only:
        _own.set((*_own.get(), recorder))
    with _lock:
        _blocks = (*_blocks, (recorder, frozenset(aliases), context_only))
        _index()
        _patch()


def remove(recorder: Wrapper) -> None:
    """Stop handing queries to recorder; the last block out restores Django's cursor."""
    global _blocks
    with _lock:
        _blocks = tuple(block for block in _blocks if block[0] is not recorder)
        _index()
        if not _blocks:
            _unpatch()
    own = _own.get()
    if recorder in own:
        _own.set(tuple(r for r in own if r is not recorder))


def installed() -> list[str]:
    """What the hooks hold now: each active recorder's aliases, "CursorWrapper.execute",
    "CursorWrapper.executemany" and "SyncToAsync.__call__" (empty outside every block)."""
    with _lock:
        found = [f"recorder on {sorted(aliases)}" for _, aliases, _ in _blocks]
        for name, hook in _HOOKS.items():
            if CursorWrapper.__dict__.get(name) is hook:
                found.append(f"CursorWrapper.{name}")
        if awaiting_patched():
            found.append("SyncToAsync.__call__")
        return found


def _index() -> None:
    global _wanted
    wanted: dict[str, list[Wrapper]] = {}
    for recorder, aliases, context_only in _blocks:
        for alias in aliases:
            wanted.setdefault(alias, []).append(
                _ContextOnly(recorder) if context_only else recorder
            )
    _wanted = {alias: tuple(recorders) for alias, recorders in wanted.items()}


_HOOKS = {"execute": execute, "executemany": executemany}


def _patch() -> None:
    global _original
    if _original is None:
        _original = {name: CursorWrapper.__dict__[name] for name in _HOOKS}
        for name, hook in _HOOKS.items():
            setattr(CursorWrapper, name, hook)
        # Async ORM queries run in asgiref's executor thread: their line is the awaiting
        # coroutine's (kit.capture.awaiting).
        patch_awaiting()


def _unpatch() -> None:
    global _original
    if _original is not None:
        unpatch_awaiting()
        for name, original in _original.items():
            setattr(CursorWrapper, name, original)
        _original = None
