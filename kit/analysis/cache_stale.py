"""Stale reads: a cached value read after the block wrote to a table it was computed from.

A value stored in the block was computed by the queries its thread ran just before the store
(after the key's miss, or since the thread's previous cache call that stored nothing); their
tables are what it depends on. A later INSERT, UPDATE or DELETE on one of those tables, then a
hit on the key with no delete or store of it in between, is a read of data the database no
longer has: the invalidation (the guide's delete_many in a post_save receiver) missed that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.cache_events import DELETE, HIT, MISS, STORE, BlockTimeline, KeyEvent
from kit.analysis.cache_keys import cache_expression
from kit.analysis.findings import Finding
from kit.analysis.fingerprint import sql_shape
from kit.analysis.location import record_place
from kit.capture.cache_records import CacheRecord
from kit.capture.records import QueryRecord

__all__ = ["HEADER_PREFIX", "find_stale_reads"]

# cache_page's header lists: they name headers, not data, so they go stale with nothing.
HEADER_PREFIX = "views.decorators.cache.cache_header."
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class _Stale:
    store: KeyEvent
    read: KeyEvent
    write: QueryRecord


def find_stale_reads(
    events: dict[tuple[str, str], list[KeyEvent]],
    timeline: BlockTimeline,
    cell_filename: str | None,
) -> list[Finding]:
    """One finding per write that left cached values stale, naming them and the invalidation."""
    by_write: dict[int, list[_Stale]] = {}
    deletes: dict[int, CacheRecord] = {}
    for (_, versioned), history in events.items():
        if HEADER_PREFIX in versioned:
            continue
        for index, event in enumerate(history):
            if event.kind == DELETE:
                deletes[event.record.id] = event.record
            if event.kind == STORE:
                for stale in _stale_reads(history, index, timeline):
                    by_write.setdefault(stale.write.id, []).append(stale)
    return [_finding(found, list(deletes.values()), cell_filename) for found in by_write.values()]


def _stale_reads(history: list[KeyEvent], index: int, timeline: BlockTimeline) -> list[_Stale]:
    store = history[index]
    tables = _computed_from(history, index, timeline)
    if not tables:
        return []
    served = []
    for later in history[index + 1 :]:
        if later.kind in (STORE, DELETE):
            break
        if later.kind == HIT:
            served.append(later)
    if not served:
        return []
    write = timeline.first_write(store.at_ms, tables)
    if write is None:
        return []
    return [_Stale(store, read, write) for read in served if write.end_ms <= read.at_ms]


def _computed_from(history: list[KeyEvent], index: int, timeline: BlockTimeline) -> frozenset[str]:
    """The tables the queries that computed the stored value read."""
    store = history[index]
    record = store.record
    if record.op == "get_or_set":
        span = record.computed_ms
        queries = [] if span is None else timeline.queries_between(record.thread, span[0], span[1])
    else:
        start = timeline.computed_since(record.thread, record.start_ms)
        for earlier in reversed(history[:index]):
            if earlier.kind in (STORE, DELETE):
                break
            if earlier.kind == MISS and earlier.record.thread == record.thread:
                start = earlier.record.end_ms
                break
        queries = timeline.queries_between(record.thread, start, record.start_ms)
    tables: set[str] = set()
    for query in queries:
        shape = sql_shape(query.sql)
        if shape.kind == "SELECT":
            tables.update(shape.tables)
    return frozenset(tables)


def _finding(
    found: list[_Stale], deletes: list[CacheRecord], cell_filename: str | None
) -> Finding:
    write = found[0].write
    shape = sql_shape(write.sql)
    first_read = min(s.read.at_ms for s in found)
    keys = list(dict.fromkeys(s.read.key for s in found))
    reads = list(dict.fromkeys(s.read.record for s in found))
    where_read = ", ".join(
        dict.fromkeys(
            f"{s.read.key!r} at {record_place(s.read.record, cell_filename)}"
            for s in found[:EXAMPLES]
        )
    )
    more = f" and {len(keys) - EXAMPLES:,} more" if len(keys) > EXAMPLES else ""
    between = [d for d in deletes if write.start_ms <= d.start_ms <= first_read]
    if between:
        deleted = ", ".join(dict.fromkeys(repr(k) for d in between for k in d.keys)) or "every key"
        invalidation = (
            f"The invalidation at {record_place(between[0], cell_filename)} deleted {deleted}, "
            "not these."
        )
    else:
        invalidation = "Nothing deleted them."
    return Finding(
        kind="cache_stale",
        severity="medium",
        message=f"Stale cache reads: after the {shape.kind} of {', '.join(shape.tables)} at "
        f"{record_place(write, cell_filename)}, {len(keys)} cached value(s) computed from it "
        f"before were read unchanged: {where_read}{more}. {invalidation}",
        record_ids=(write.id,),
        suggestion=f"{cache_expression(reads[0].alias)}.delete_many({keys!r})",
        line=reads[0].line,
        notes=(
            "cache_page and {% cache %} entries have keys of their own: "
            "django.utils.cache.get_cache_key(request) and "
            "make_template_fragment_key(name, vary_on) give them, or bump the cache's VERSION",
        )
        if any(s.read.record.view or s.read.record.fragment for s in found)
        else (),
        cache_call_ids=tuple(
            sorted(
                {s.store.record.id for s in found}
                | {r.id for r in reads}
                | {d.id for d in between}
            )
        ),
    )
