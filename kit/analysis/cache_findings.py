"""Findings about cache calls: repeated misses, misses that only lead to queries, keys set and
never read, fragment and page keys that change on every request (stale reads: cache_stale)."""

from __future__ import annotations

from collections.abc import Sequence

from kit.analysis.cache_events import (
    CHECK,
    DELETE,
    HIT,
    MISS,
    STORE,
    BlockTimeline,
    KeyEvent,
    key_events,
)
from kit.analysis.cache_keys import cache_expression, key_pattern
from kit.analysis.cache_stale import find_stale_reads
from kit.analysis.findings import Finding
from kit.analysis.fingerprint import sql_shape
from kit.analysis.location import record_place
from kit.capture.cache_records import CacheRecord
from kit.capture.records import QueryRecord

__all__ = ["PAGE_PREFIX", "find_cache_findings"]

# cache_page's keys (django.utils.cache._generate_cache_key and _generate_cache_header_key).
PAGE_PREFIX = "views.decorators.cache.cache_page."
EXAMPLES = 3


def find_cache_findings(
    calls: Sequence[CacheRecord], queries: Sequence[QueryRecord], cell_filename: str | None
) -> list[Finding]:
    """Every cache finding of a block, in no particular order (sort_findings sorts them)."""
    if not calls:
        return []
    events = key_events(calls)
    timeline = BlockTimeline(queries, calls)
    found = _repeated_misses(events, timeline, cell_filename)
    found += _unread_sets(events, cell_filename)
    found += _varying_page_keys(calls)
    found += _varying_fragment_keys(calls)
    found += find_stale_reads(events, timeline, cell_filename)
    return found


def _lines(records: Sequence[CacheRecord], cell_filename: str | None) -> str:
    return ", ".join(dict.fromkeys(record_place(r, cell_filename) for r in records))


def _segments(history: list[KeyEvent]) -> list[list[KeyEvent]]:
    """The key's history cut at each delete: a miss after a delete is expected."""
    segments: list[list[KeyEvent]] = [[]]
    for event in history:
        if event.kind == DELETE:
            segments.append([])
        else:
            segments[-1].append(event)
    return [s for s in segments if s]


def _repeated_misses(
    events: dict[tuple[str, str], list[KeyEvent]],
    timeline: BlockTimeline,
    cell_filename: str | None,
) -> list[Finding]:
    """Keys missed twice or more with no delete between, grouped per alias and key pattern."""
    groups: dict[tuple[str, str, str], list[tuple[str, list[KeyEvent], list[QueryRecord]]]] = {}
    for (alias, _), history in events.items():
        for segment in _segments(history):
            misses = [e for e in segment if e.kind == MISS]
            if len(misses) < 2:
                continue
            first, last = misses[0].at_ms, misses[-1].at_ms
            stored = any(e.kind == STORE and first <= e.at_ms < last for e in segment)
            followed = [timeline.queries_after(m.record) for m in misses]
            kind = "stored" if stored else "no_store"
            if not stored and _repeat(followed):
                kind = "query"
            key = misses[0].key
            members = [q for qs in followed for q in qs] if kind == "query" else []
            groups.setdefault((kind, alias, key_pattern(key)), []).append((key, misses, members))
    return [
        _miss_finding(kind, alias, pattern, keys, cell_filename)
        for (kind, alias, pattern), keys in groups.items()
    ]


def _repeat(followed: list[list[QueryRecord]]) -> bool:
    """True when a query shape ran after two misses or more: the work the cache should save."""
    seen: dict[str, int] = {}
    for queries in followed:
        for shape in {sql_shape(q.sql).fingerprint for q in queries}:
            seen[shape] = seen.get(shape, 0) + 1
    return any(count >= 2 for count in seen.values())


def _miss_finding(
    kind: str,
    alias: str,
    pattern: str,
    keys: list[tuple[str, list[KeyEvent], list[QueryRecord]]],
    cell_filename: str | None,
) -> Finding:
    misses = [e.record for _, events, _ in keys for e in events]
    queries = sorted({q.id: q for _, _, qs in keys for q in qs}.values(), key=lambda q: q.id)
    first_key, first_events, _ = keys[0]
    at = _lines([e.record for e in first_events], cell_filename)
    what = (
        f"{first_key!r} missed {len(first_events)} times ({at})"
        if len(keys) == 1
        else f"{len(keys)} keys like {pattern!r} missed repeatedly ({len(misses)} misses; "
        f"{first_key!r} {len(first_events)} times at {at})"
    )
    ids = tuple(sorted({r.id for r in misses}))
    if kind == "query":
        return Finding(
            kind="cache_miss_query",
            severity="medium",
            message=f"{what} and nothing stored it: each miss was followed by the same queries "
            f"({len(queries):,} in all), which storing the value after computing it would save.",
            record_ids=tuple(q.id for q in queries),
            suggestion=f"{cache_expression(alias)}.set({first_key!r}, value, timeout)",
            line=misses[0].line,
            cache_call_ids=ids,
        )
    if kind == "stored":
        return Finding(
            kind="cache_miss",
            severity="medium",
            message=f"{what}, though it was set in between: the value did not stay. A timeout of "
            "0 or less, a value the backend refused (too large), a local-memory cache culling "
            "past MAX_ENTRIES, or another thread or process deleting it would do that.",
            record_ids=(),
            line=misses[0].line,
            cache_call_ids=ids,
        )
    return Finding(
        kind="cache_miss",
        severity="low",
        message=f"{what} and was never set in between: each read repeats the lookup for "
        "nothing; keep the value from the first one (if the code means to store it, check the "
        "key, version and alias it stores under).",
        record_ids=(),
        line=misses[0].line,
        cache_call_ids=ids,
    )


def _unread_sets(
    events: dict[tuple[str, str], list[KeyEvent]], cell_filename: str | None
) -> list[Finding]:
    """Keys the block only wrote (never read), and values overwritten before any read."""
    unread: dict[tuple[str, str], list[KeyEvent]] = {}
    overwritten: list[list[KeyEvent]] = []
    for (alias, _), history in events.items():
        stores = [e for e in history if e.kind == STORE and e.record.op != "get_or_set"]
        # Pages and fragments are stored for the next request: their keys are judged apart.
        if not stores or stores[0].record.fragment or stores[0].record.view:
            continue
        if not any(e.kind in (HIT, MISS, CHECK) for e in history):
            unread.setdefault((alias, key_pattern(stores[0].key)), []).extend(stores)
        run: list[KeyEvent] = []
        for event in history:
            if event.kind == STORE and event.record.op != "get_or_set":
                run.append(event)
            else:
                if len(run) >= 2:
                    overwritten.append(run)
                run = []
        if len(run) >= 2:
            overwritten.append(run)
    found = []
    for run in overwritten:
        records = [e.record for e in run]
        found.append(
            Finding(
                kind="cache_unread",
                severity="low",
                message=f"{run[0].key!r} was set {len(run)} times with no read in between "
                f"({_lines(records, cell_filename)}): every set but the last was wasted.",
                record_ids=(),
                line=records[0].line,
                cache_call_ids=tuple(r.id for r in records),
            )
        )
    for (_, pattern), stores in unread.items():
        records = [e.record for e in stores]
        keys = list(dict.fromkeys(e.key for e in stores))
        named = ", ".join(map(repr, keys[:EXAMPLES])) + (
            f" and {len(keys) - EXAMPLES:,} more" if len(keys) > EXAMPLES else ""
        )
        what = f"{named} (pattern {pattern!r})" if len(keys) > 1 else named
        found.append(
            Finding(
                kind="cache_unread",
                severity="info",
                message=f"{what} set at {_lines(records, cell_filename)} and never read in this "
                "block: worth it only if a later request or cell reads it (a cache-warming job "
                "does exactly this).",
                record_ids=(),
                line=records[0].line,
                cache_call_ids=tuple(r.id for r in records),
            )
        )
    return found


def _varying_page_keys(calls: Sequence[CacheRecord]) -> list[Finding]:
    """cache_page entries stored under a new key on every request of one URL, never served."""
    stored: dict[tuple[str, str], list[CacheRecord]] = {}
    served: set[tuple[str, str]] = set()
    for call in calls:
        if call.request is None or not any(k.startswith(PAGE_PREFIX) for k in call.keys):
            continue
        if call.op == "set" and call.request_number is not None:
            stored.setdefault((call.alias, call.request), []).append(call)
        elif call.hits:
            served.add((call.alias, call.request))
    found = []
    for (alias, request), sets in stored.items():
        requests = {c.request_number for c in sets}
        keys = {c.versioned_keys for c in sets}
        if len(requests) < 2 or len(keys) < len(sets) or (alias, request) in served:
            continue
        vary = ", ".join(dict.fromkeys(h for c in sets for h in c.vary_on)) or "none"
        found.append(
            Finding(
                kind="cache_key_varies",
                severity="medium",
                message=f"cache_page of {sets[0].view or 'a view'} stored {request} under a new "
                f"key on each of its {len(requests)} requests and never served it from the cache: "
                f"the key includes the request headers the response varies on (Vary: {vary}). A "
                "session or CSRF cookie (Vary: Cookie) makes one entry per visitor: cache views "
                "that do not touch the session, or cache the data or a fragment instead.",
                record_ids=(),
                line=sets[0].line,
                cache_call_ids=tuple(c.id for c in sets),
            )
        )
    return found


def _varying_fragment_keys(calls: Sequence[CacheRecord]) -> list[Finding]:
    """{% cache %} fragments looked up under a new key on every request of one URL, never hit."""
    reads: dict[tuple[str, str, str], list[CacheRecord]] = {}
    for call in calls:
        if call.fragment and call.op == "get" and call.request and call.request_number is not None:
            reads.setdefault((call.alias, call.fragment, call.request), []).append(call)
    found = []
    for (_, fragment, request), members in reads.items():
        by_request: dict[int | None, set[tuple[str, ...]]] = {}
        for call in members:
            by_request.setdefault(call.request_number, set()).add(call.versioned_keys)
        keys = [k for ks in by_request.values() for k in ks]
        if len(by_request) < 2 or len(set(keys)) < len(keys) or any(c.hits for c in members):
            continue
        values = "; ".join(", ".join(c.vary_on) or "(none)" for c in members[:2])
        found.append(
            Finding(
                kind="cache_key_varies",
                severity="medium",
                message=f"The {{% cache %}} fragment {fragment} was looked up under a new key on "
                f"each of the {len(by_request)} requests of {request} and never hit: its vary_on "
                f"values change from one request to the next ({values}). Vary it on what the "
                "fragment shows (an id, a language), not on a timestamp or an object's repr.",
                record_ids=(),
                line=members[0].line,
                cache_call_ids=tuple(c.id for c in members),
            )
        )
    return found
