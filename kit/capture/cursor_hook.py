"""One process-wide hook on Django's cursor, installed while any block captures queries.

Why a class hook (issue 11): connection.execute_wrapper() wraps one connection object, and
Django keeps one per alias per thread (an asgiref Local). Wrapping this thread's connections,
and the ones other threads announce with connection_created, misses every connection another
thread opened before the block: a thread pool's worker that connected earlier, and asgiref's
sync_to_async executor thread (the async ORM) once its first block has connected it. And
execute_wrapper's exit pops the last wrapper, not its own, so two blocks exited out of order
remove each other's. So while any block captures, CursorWrapper._execute_with_wrappers, which
every cursor of every thread runs for each query, is replaced; each block registers its recorder
and removes exactly that registration; the last one out restores Django's function, also on
error and KeyboardInterrupt (tests/conftest.py checks that nothing is left).

Relies on (Django 4.2 and 5.2, read from their source; tests/test_django_versions.py checks the
installed one): CursorWrapper.execute and executemany, and CursorDebugWrapper's through super(),
both call self._execute_with_wrappers(sql, params, many, executor), which nests the
connection's execute_wrappers around executor with the context {"connection": self.db,
"cursor": self}. The hook does the same, with the recorders innermost (nearest the driver, where
a wrapper appended last sits): no extra Python frame per query. Django's assertNumQueries reads
connection.queries_log, which CursorDebugWrapper fills around all of it: unaffected.
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
_original: Callable[..., Any] | None = None


def _execute_with_wrappers(
    self: Any, sql: Any, params: Any, many: bool, executor: Callable[..., Any]
) -> Any:
    # Django's CursorWrapper._execute_with_wrappers, with the blocks' recorders innermost.
    db = self.db
    recorders = _wanted.get(db.alias)
    if recorders is not None:
        if len(recorders) == 1 and not db.execute_wrappers:
            # The common case (one block, no wrapper of the user's): no partial to make.
            return recorders[0](executor, sql, params, many, {"connection": db, "cursor": self})
        for recorder in recorders:
            executor = partial(recorder, executor)
    for wrapper in reversed(db.execute_wrappers):
        executor = partial(wrapper, executor)
    return executor(sql, params, many, {"connection": db, "cursor": self})


HOOK_CODE = _execute_with_wrappers.__code__


def cursor_frame(frame: FrameType) -> FrameType:
    """The hook's frame at or above frame (a recorder's caller): the walk to the user's line
    starts there, past any execute_wrapper of the user's own (never the query's line; the one
    that counts the set-up queries of a connection it opens would hide them)."""
    found: FrameType | None = frame
    while found is not None and found.f_code is not HOOK_CODE:
        found = found.f_back
    return frame if found is None else found


class _ContextOnly:
    """A context-only recorder: passes on queries made outside the block's own context."""

    __slots__ = ("recorder",)

    def __init__(self, recorder: Wrapper) -> None:
        self.recorder = recorder

    def __call__(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict
    ) -> Any:
        if self.recorder in _own.get():
            return self.recorder(execute, sql, params, many, context)
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
    """What the hooks hold now: "CursorWrapper._execute_with_wrappers", "SyncToAsync.__call__"
    and each active recorder's aliases (empty outside every capturing block)."""
    with _lock:
        found = [f"recorder on {sorted(aliases)}" for _, aliases, _ in _blocks]
        if CursorWrapper.__dict__.get("_execute_with_wrappers") is _execute_with_wrappers:
            found.append("CursorWrapper._execute_with_wrappers")
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


def _patch() -> None:
    global _original
    if _original is None:
        _original = CursorWrapper.__dict__["_execute_with_wrappers"]
        CursorWrapper._execute_with_wrappers = _execute_with_wrappers  # type: ignore[method-assign]
        # Async ORM queries run in asgiref's executor thread: their line is the awaiting
        # coroutine's (kit.capture.awaiting).
        patch_awaiting()


def _unpatch() -> None:
    global _original
    if _original is not None:
        unpatch_awaiting()
        CursorWrapper._execute_with_wrappers = _original  # type: ignore[method-assign]
        _original = None
