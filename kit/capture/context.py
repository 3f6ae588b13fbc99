"""capture_queries(): install one recorder on every database connection, remove it on exit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections

from kit.capture.aliases import choose_aliases, require_django
from kit.capture.codes import configure as configure_code
from kit.capture.cursor_hook import install, remove
from kit.capture.recorder import DEFAULT_RECORD_CAP, QueryRecorder


def resolve_aliases(using: str | Sequence[str] | None) -> tuple[str, ...]:
    """The database aliases to capture: all configured ones, or the ones named (checked)."""
    require_django()
    return choose_aliases(using, tuple(connections), "DATABASES", "database")


@contextmanager
def capture_queries(
    using: str | Sequence[str] | None = None,
    *,
    cap: int = DEFAULT_RECORD_CAP,
    fingerprint: Callable[[str], str] | None = None,
    cell_filename: str | None = None,
    in_request: bool = False,
    this_thread_only: bool = False,
) -> Iterator[QueryRecorder]:
    """Record every query on the given aliases (default: all), from every thread.

    in_request: the block runs inside a request already (a middleware's), so request_started
    has been sent before it began. this_thread_only: only the queries of this thread and of
    the sync_to_async calls it awaits, not other threads' (a server's other requests, for a
    middleware).
    """
    aliases = resolve_aliases(using)
    if cap < 0:
        raise ValueError(f"cap must be 0 or more, not {cap}.")
    configure_user_code()
    recorder = QueryRecorder(
        aliases,
        cap=cap,
        fingerprint=fingerprint,
        cell_filename=cell_filename,
        in_request=in_request,
    )
    # One ExitStack: whatever fails half-way (or a KeyboardInterrupt), every hook comes off.
    with ExitStack() as stack:
        # Every thread's cursors, however early their connection opened (kit.capture.cursor_hook).
        install(recorder, aliases, context_only=this_thread_only)
        stack.callback(remove, recorder)
        if not this_thread_only:
            uid = f"kit-capture-{id(recorder)}"
            for signal, counter in (
                (request_started, recorder.request_started),
                (request_finished, recorder.request_finished),
            ):
                signal.connect(counter, weak=False, dispatch_uid=uid)
                stack.callback(signal.disconnect, dispatch_uid=uid)
        yield recorder


def configure_user_code() -> None:
    """Pass the project's KIT_INTERNAL_CODE and KIT_USER_CODE settings to the stack walk.

    Each is a list of dotted module names ("acme.shared") or folders ("/srv/monorepo/libs"):
    code the project counts as internal (never a query's line) or as its own.
    """
    configure_code(
        internal=_names(getattr(settings, "KIT_INTERNAL_CODE", ())),
        user=_names(getattr(settings, "KIT_USER_CODE", ())),
    )


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):  # type: ignore[attr-defined]
        raise ValueError(
            f"KIT_INTERNAL_CODE and KIT_USER_CODE are lists of module names or folders, "
            f"not {value!r}."
        )
    return tuple(value)  # type: ignore[arg-type]
