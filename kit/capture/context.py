"""capture_queries(): install one recorder on every database connection, remove it on exit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from django.db import connections
from django.db.backends.signals import connection_created

from kit.capture.aliases import choose_aliases, require_django
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
) -> Iterator[QueryRecorder]:
    """Record every query on the given aliases (default: all), this thread and new ones."""
    aliases = resolve_aliases(using)
    if cap < 0:
        raise ValueError(f"cap must be 0 or more, not {cap}.")
    recorder = QueryRecorder(
        aliases, cap=cap, fingerprint=fingerprint, cell_filename=cell_filename
    )
    # One ExitStack: whatever fails half-way (or a KeyboardInterrupt), every hook comes off.
    with ExitStack() as stack:
        for alias in aliases:
            connection = connections[alias]
            if connection.connection is None:
                recorder.connecting.add(id(connection))
            stack.enter_context(connection.execute_wrapper(recorder))
        uid = f"kit-capture-{id(recorder)}"
        connection_created.connect(recorder.attach, weak=False, dispatch_uid=uid)
        stack.callback(recorder.detach)
        stack.callback(connection_created.disconnect, dispatch_uid=uid)
        yield recorder
