"""What happened to each cache key, in order, and which queries ran around each cache call.

The cache findings read a block as per-key histories (hit, miss, store, delete) and ask which
queries a miss led to or a stored value was computed from: those in the same thread between two
cache calls, leaving out the queries a cache backend runs itself (the database cache's).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kit.analysis.fingerprint import sql_shape
from kit.capture.cache_records import DELETE_OPS, WRITE_OPS, CacheRecord
from kit.capture.records import QueryRecord

__all__ = ["BlockTimeline", "KeyEvent", "key_events"]

HIT, MISS, STORE, DELETE, CHECK = "hit", "miss", "store", "delete", "check"


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """One thing a cache call did to one key: hit, miss, store, delete or check (has_key)."""

    kind: str
    record: CacheRecord
    key: str  # as the application passed it

    @property
    def at_ms(self) -> float:
        """When it happened: a store by get_or_set at the call's end, the rest at its start."""
        return (
            self.record.end_ms
            if self.kind == STORE and self.record.op == "get_or_set"
            else self.record.start_ms
        )


def key_events(records: Iterable[CacheRecord]) -> dict[tuple[str, str], list[KeyEvent]]:
    """Per (alias, versioned key), what each call did to it, in time order.

    A clear() deletes every key of its alias. Failed calls are left out: what they did is unknown.
    """
    events: dict[tuple[str, str], list[KeyEvent]] = {}
    clears: list[CacheRecord] = []
    for record in records:
        if record.error is not None:
            continue
        if record.op == "clear":
            clears.append(record)
        for i, (key, versioned) in enumerate(zip(record.keys, record.versioned_keys, strict=True)):
            for kind in _kinds(record, i):
                events.setdefault((record.alias, versioned), []).append(
                    KeyEvent(kind, record, key)
                )
    for clear in clears:
        for (alias, _), history in events.items():
            if alias == clear.alias:
                history.append(KeyEvent(DELETE, clear, ""))
    for history in events.values():
        history.sort(key=lambda e: (e.at_ms, e.record.id))
    return events


def _kinds(record: CacheRecord, index: int) -> tuple[str, ...]:
    op = record.op
    if record.hit is not None and op != "has_key":
        found = record.hit[index]
        # get_or_set stores the default it computed when it misses.
        return (HIT,) if found else (MISS, STORE) if op == "get_or_set" else (MISS,)
    if op == "has_key":
        return (CHECK,)
    if op in WRITE_OPS:
        return (STORE,)
    if op in DELETE_OPS:
        return (DELETE,)
    return ()


class BlockTimeline:
    """The block's queries and cache calls per thread, to ask what ran between two moments."""

    def __init__(self, queries: Sequence[QueryRecord], calls: Sequence[CacheRecord]) -> None:
        self._calls: dict[str, list[CacheRecord]] = {}
        for call in sorted(calls, key=lambda c: (c.start_ms, c.id)):
            self._calls.setdefault(call.thread, []).append(call)
        self._call_starts = {t: [c.start_ms for c in cs] for t, cs in self._calls.items()}
        # Per thread, the calls not made inside another one, each with those made inside it
        # (calls nest only in get_or_set's default).
        self._outer: dict[str, list[tuple[CacheRecord, list[CacheRecord]]]] = {}
        for thread, thread_calls in self._calls.items():
            outer = self._outer[thread] = []
            for call in thread_calls:
                if outer and call.end_ms <= outer[-1][0].end_ms:
                    outer[-1][1].append(call)
                else:
                    outer.append((call, []))
        self._outer_starts = {t: [c.start_ms for c, _ in o] for t, o in self._outer.items()}
        own = self._backend_query_ids(queries)
        self._queries: dict[str, list[QueryRecord]] = {}
        for query in sorted(queries, key=lambda q: (q.start_ms, q.id)):
            if query.id not in own:
                self._queries.setdefault(query.thread, []).append(query)
        self._query_starts = {t: [q.start_ms for q in qs] for t, qs in self._queries.items()}
        # Built on first use (stale reads only): per table, (starts, writes) in time order.
        self._writes: dict[str, tuple[list[float], list[QueryRecord]]] | None = None

    def _backend_query_ids(self, queries: Sequence[QueryRecord]) -> frozenset[int]:
        """Queries a cache backend ran inside a call (not inside get_or_set's own default)."""
        own = set()
        for query in queries:
            call = self.call_around(query.thread, query.start_ms)
            if call is None:
                continue
            computed = call.computed_ms
            if computed is None or not computed[0] <= query.start_ms <= computed[1]:
                own.add(query.id)
        return frozenset(own)

    def call_around(self, thread: str, at_ms: float) -> CacheRecord | None:
        """The cache call of thread running at at_ms (the innermost, when they nest)."""
        outer = self._outer.get(thread, [])
        index = bisect_right(self._outer_starts.get(thread, []), at_ms) - 1
        if index < 0 or outer[index][0].end_ms < at_ms:
            return None
        call, inside = outer[index]
        for nested in inside:
            if nested.start_ms <= at_ms <= nested.end_ms:
                call = nested  # the latest-starting one that contains it is the innermost
        return call

    def next_call(self, thread: str, after_ms: float) -> CacheRecord | None:
        """The first cache call of thread that starts at or after after_ms."""
        starts = self._call_starts.get(thread, [])
        index = bisect_left(starts, after_ms)
        return self._calls[thread][index] if index < len(starts) else None

    def previous_call(self, thread: str, before_ms: float) -> CacheRecord | None:
        """The last cache call of thread that ended at or before before_ms."""
        ended = [c for c in self._calls.get(thread, []) if c.end_ms <= before_ms]
        return max(ended, key=lambda c: c.end_ms) if ended else None

    def queries_between(self, thread: str, start_ms: float, end_ms: float) -> list[QueryRecord]:
        """The application's queries of thread that started in [start_ms, end_ms)."""
        starts = self._query_starts.get(thread, [])
        queries = self._queries.get(thread, [])
        return queries[bisect_left(starts, start_ms) : bisect_left(starts, end_ms)]

    def queries_after(self, miss: CacheRecord) -> list[QueryRecord]:
        """The queries the thread ran after the call, up to its next cache call (or the end)."""
        following = self.next_call(miss.thread, miss.end_ms)
        end = following.start_ms if following is not None else float("inf")
        return self.queries_between(miss.thread, miss.end_ms, end)

    def computed_since(self, thread: str, before_ms: float) -> float:
        """Where the computation of a value stored at before_ms starts: the end of the thread's
        last cache call before it that stored nothing (stores in a row share one computation:
        cache_page stores its header list, then the page), else the block's start."""
        calls = self._calls.get(thread, [])
        index = bisect_left(self._call_starts.get(thread, []), before_ms) - 1
        while index >= 0:
            call = calls[index]
            if call.end_ms <= before_ms and not call.stored:
                return call.end_ms
            index -= 1
        return 0.0

    def first_write(self, after_ms: float, tables: frozenset[str]) -> QueryRecord | None:
        """The application's first write (INSERT, UPDATE, DELETE), in any thread, to any of
        tables, that started after after_ms."""
        if self._writes is None:
            self._writes = _writes_by_table(self._queries.values())
        found = None
        for table in tables:
            writes = self._writes.get(table)
            if writes:
                starts, queries = writes
                index = bisect_left(starts, after_ms)
                if index < len(queries) and (
                    found is None or queries[index].start_ms < found.start_ms
                ):
                    found = queries[index]
        return found


def _writes_by_table(
    threads: Iterable[list[QueryRecord]],
) -> dict[str, tuple[list[float], list[QueryRecord]]]:
    """Per table, the writes to it in time order (their starts apart, for bisect)."""
    by_table: dict[str, list[QueryRecord]] = {}
    for queries in threads:
        for query in queries:
            shape = sql_shape(query.sql)
            if shape.kind in ("INSERT", "UPDATE", "DELETE"):
                for table in shape.tables:
                    by_table.setdefault(table, []).append(query)
    result = {}
    for table, writes in by_table.items():
        writes.sort(key=lambda q: (q.start_ms, q.id))
        result[table] = ([q.start_ms for q in writes], writes)
    return result
