"""CacheRecord: one cache call the application made, as plain frozen data (no Django objects)."""

from __future__ import annotations

from dataclasses import dataclass

from kit.capture.records import Timed

# The cache API's operations, as the application calls them. Reads report a hit per key; an
# async method (aget, aset_many...) is recorded under its operation's name.
CACHE_OPS = (
    "get",
    "get_many",
    "set",
    "set_many",
    "add",
    "delete",
    "delete_many",
    "incr",
    "decr",
    "touch",
    "clear",
    "get_or_set",
    "has_key",
    # Move a key's value to another version (BaseCache: a get, a set and a delete inside).
    "incr_version",
    "decr_version",
)
READ_OPS = frozenset({"get", "get_many", "get_or_set", "has_key"})
# What stores a value under a key (get_or_set stores one on a miss: see CacheRecord.stored).
WRITE_OPS = frozenset({"set", "set_many", "add", "incr", "decr"})
DELETE_OPS = frozenset({"delete", "delete_many", "clear"})


@dataclass(frozen=True, slots=True)
class CacheRecord(Timed):
    """One cache call: its operation, keys, hits, timing and the line behind it.

    keys are the keys as the application passed them (str() of each); versioned_keys the keys
    the backend stored them under (its key prefix and version: ``:1:popular_posts_v2``). hit
    says, per key, whether a read found it (None for calls that are not reads). fragment names
    the ``{% cache %}`` fragment that made the call ("sidebar (blog/post.html:12)"), view the
    view of a ``cache_page`` or of the request a fragment was rendered for, request the request
    ("GET /posts/"), numbered from 1 per profile in request_number; vary_on the fragment's
    vary_on values (reprs) or the Vary header a page was stored with.
    """

    id: int
    op: str
    alias: str
    backend: str
    keys: tuple[str, ...]
    versioned_keys: tuple[str, ...]
    hit: tuple[bool, ...] | None
    start_ms: float
    duration_ms: float
    thread: str
    source_file: str | None = None
    source_lineno: int | None = None
    line: int | None = None
    entry: str | None = None
    error: str | None = None
    fragment: str | None = None
    view: str | None = None
    request: str | None = None
    request_number: int | None = None
    vary_on: tuple[str, ...] = ()
    # When get_or_set's callable default ran, (start_ms, end_ms), if it did.
    computed_ms: tuple[float, float] | None = None

    @property
    def is_read(self) -> bool:
        """True for get, get_many, get_or_set and has_key."""
        return self.op in READ_OPS

    @property
    def hits(self) -> int:
        """Keys this read found (0 for other calls)."""
        return sum(self.hit) if self.hit else 0

    @property
    def misses(self) -> int:
        """Keys this read did not find (0 for other calls)."""
        return len(self.hit) - sum(self.hit) if self.hit else 0

    @property
    def stored(self) -> bool:
        """True when the call stored a value: a write, or a get_or_set that missed."""
        return self.op in WRITE_OPS or (self.op == "get_or_set" and self.misses > 0)


@dataclass(slots=True)
class CacheCounter:
    """Running totals for cache calls counted past the record cap, per (alias, op, key pattern)."""

    alias: str
    op: str
    pattern: str
    count: int = 0
    hits: int = 0
    misses: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, duration_ms: float, hits: int, misses: int) -> None:
        """Count one more call that took duration_ms and found `hits` of its keys."""
        self.count += 1
        self.hits += hits
        self.misses += misses
        self.total_ms += duration_ms
        if duration_ms > self.max_ms:
            self.max_ms = duration_ms
