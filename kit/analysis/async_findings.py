"""Findings for async code: sync ORM calls made inside a coroutine, which a deployment refuses."""

from __future__ import annotations

from collections.abc import Iterable

from kit.analysis.findings import Finding, Places
from kit.analysis.wording import counted, sentence
from kit.capture.records import ASYNC_QUERYSET_METHODS, SYNC_IN_ASYNC, QueryRecord

__all__ = ["find_sync_in_async"]

_ASYNC_TWIN = {name[1:]: f"await ….{name}()" for name in ASYNC_QUERYSET_METHODS}
_ASYNC_TWIN["iteration"] = "async for … in …"


def find_sync_in_async(records: Iterable[QueryRecord], places: Places) -> list[Finding]:
    """One finding per line whose sync ORM calls ran inside a coroutine, on the event loop's
    thread: the notebook lets them run (kit.bootstrap sets DJANGO_ALLOW_ASYNC_UNSAFE in a
    kernel), an async view or ASGI server raises SynchronousOnlyOperation instead."""
    by_source: dict[str | None, list[QueryRecord]] = {}
    for record in records:
        if record.execution == SYNC_IN_ASYNC:
            by_source.setdefault(record.source, []).append(record)
    return [_finding(members, places) for members in by_source.values()]


def _finding(members: list[QueryRecord], places: Places) -> Finding:
    first = members[0]
    twin = _ASYNC_TWIN.get(first.evaluation or "")
    instead = (
        f"use the async ORM ({twin}) or wrap the code in sync_to_async()"
        if twin
        else "use the async ORM (aget(), acount(), async for...) or wrap the code in "
        "sync_to_async()"
    )
    return Finding(
        kind="sync_in_async",
        severity="high",
        message=sentence(
            f"{places.where(first)} runs {counted(len(members), 'query')} through the sync ORM "
            "inside a coroutine: a deployment refuses that (SynchronousOnlyOperation), only "
            f"the notebook's DJANGO_ALLOW_ASYNC_UNSAFE lets it run here. Await instead: {instead}."
        ),
        record_ids=tuple(r.id for r in members),
        line=first.line,
    )
