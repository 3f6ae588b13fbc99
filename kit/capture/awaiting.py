"""The awaiting coroutine behind an async ORM query, handed to the thread that runs it.

Why: Django's async ORM (aget, acount, `async for`...) awaits asgiref's sync_to_async, which runs
the sync ORM call in an executor thread. That thread's stack ends in the executor: no line of
the user's, no aget. So while any block captures, SyncToAsync.__call__ is wrapped: on entry it
keeps the awaiting frames (the coroutine that awaits, up to the event loop) in a ContextVar,
which asgiref copies into the executor thread with the rest of the context; the stack walk
(kit.capture.frames) goes on from the thread's last frame into them, as if the call were
synchronous. The frames are suspended at their `await` while the thread runs, so their line and
locals are the ones of the call. kit.capture.cursor_hook installs and removes the wrapper with
its own hook.

Relies on (asgiref 3.x, read from its source): SyncToAsync.__call__ being the coroutine every
sync_to_async call awaits, and copying the caller's context (contextvars.copy_context) into the
thread it runs the function in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from types import CodeType, FrameType
from typing import Any

from asgiref.sync import SyncToAsync


class AwaitedFrame:
    """A suspended frame of the awaiting chain, linked to the frame that awaits it (its f_back
    reads None once suspended): what the stack walk reads of a frame."""

    __slots__ = ("_frame", "f_back", "f_code")

    def __init__(self, frame: FrameType, back: AwaitedFrame | None) -> None:
        self._frame = frame
        self.f_back = back
        self.f_code: CodeType = frame.f_code

    @property
    def f_lasti(self) -> int:
        return self._frame.f_lasti

    @property
    def f_lineno(self) -> int | None:
        return self._frame.f_lineno

    @property
    def f_locals(self) -> dict[str, Any]:
        return self._frame.f_locals

    @property
    def f_globals(self) -> dict[str, Any]:
        return self._frame.f_globals


class Awaiting:
    """The frames awaiting one sync_to_async call, innermost first; linked on first use."""

    __slots__ = ("_frames", "_head")

    def __init__(self, frames: tuple[FrameType, ...]) -> None:
        self._frames = frames
        self._head: AwaitedFrame | None = None

    def head(self) -> AwaitedFrame | None:
        """The innermost awaiting frame, linked to the ones above it."""
        if self._head is None:
            back = None
            for frame in reversed(self._frames):
                back = AwaitedFrame(frame, back)
            self._head = back
        return self._head


# Set in the awaiting coroutine's context for the length of one sync_to_async call.
awaiting: ContextVar[Awaiting | None] = ContextVar("kit_capture_awaiting", default=None)
_original: Callable[..., Any] | None = None


async def _call(self: Any, *args: Any, **kwargs: Any) -> Any:
    __traceback_hide__ = True
    frames = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    token = awaiting.set(Awaiting(tuple(frames)))
    try:
        return await _original(self, *args, **kwargs)  # type: ignore[misc]
    finally:
        awaiting.reset(token)


def patch() -> None:
    """Wrap SyncToAsync.__call__ (kit.capture.cursor_hook calls it with its own hook)."""
    global _original
    if _original is None:
        _original = SyncToAsync.__dict__["__call__"]
        SyncToAsync.__call__ = _call  # type: ignore[method-assign,assignment]


def unpatch() -> None:
    """Give SyncToAsync its own __call__ back."""
    global _original
    if _original is not None:
        SyncToAsync.__call__ = _original  # type: ignore[method-assign]
        _original = None


def patched() -> bool:
    """True while SyncToAsync.__call__ is wrapped."""
    return SyncToAsync.__dict__.get("__call__") is _call
