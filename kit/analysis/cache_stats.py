"""Statistics of cache calls per key pattern: calls, hits, misses and time, past the cap too.

The one place they are computed: Profile.by_cache_pattern, the summary line, the cache tables
and the comparison read these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kit.analysis.cache_keys import keys_pattern
from kit.capture.cache_records import CacheCounter, CacheRecord

__all__ = ["CacheKeyStats", "CacheTotals", "cache_key_stats", "cache_totals"]


@dataclass
class CacheKeyStats:
    """One key pattern on one alias: its calls by operation, hits, misses, time, cell lines."""

    alias: str
    pattern: str
    calls: int = 0
    hits: int = 0
    misses: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    ops: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    @property
    def hit_rate(self) -> float | None:
        """hits / (hits + misses), or None when nothing was read."""
        reads = self.hits + self.misses
        return self.hits / reads if reads else None

    def add(
        self, op: str, count: int, hits: int, misses: int, total_ms: float, max_ms: float
    ) -> None:
        """Count `count` more calls of op."""
        self.calls += count
        self.hits += hits
        self.misses += misses
        self.total_ms += total_ms
        self.max_ms = max(self.max_ms, max_ms)
        self.ops[op] = self.ops.get(op, 0) + count


@dataclass(frozen=True, slots=True)
class CacheTotals:
    """All the cache calls of a block: how many, keys found and not found, time in ms."""

    calls: int
    hits: int
    misses: int
    total_ms: float


def cache_key_stats(
    records: Iterable[CacheRecord], overflow: Iterable[CacheCounter] = ()
) -> list[CacheKeyStats]:
    """Per (alias, key pattern), most time first; calls past the record cap are counted too."""
    found: dict[tuple[str, str], CacheKeyStats] = {}
    for record in records:
        stats = _stats_for(found, record.alias, keys_pattern(record.keys))
        stats.add(record.op, 1, record.hits, record.misses, record.duration_ms, record.duration_ms)
        stats.record_ids.append(record.id)
        if record.line is not None and record.line not in stats.lines:
            stats.lines.append(record.line)
    for counter in overflow:
        _stats_for(found, counter.alias, counter.pattern).add(
            counter.op,
            counter.count,
            counter.hits,
            counter.misses,
            counter.total_ms,
            counter.max_ms,
        )
    return sorted(found.values(), key=lambda s: (-s.total_ms, -s.calls, s.alias, s.pattern))


def _stats_for(
    found: dict[tuple[str, str], CacheKeyStats], alias: str, pattern: str
) -> CacheKeyStats:
    stats = found.get((alias, pattern))
    if stats is None:
        stats = found[(alias, pattern)] = CacheKeyStats(alias, pattern)
    return stats


def cache_totals(
    records: Iterable[CacheRecord], overflow: Iterable[CacheCounter] = ()
) -> CacheTotals:
    """Calls, hits, misses and ms over every cache call, past the record cap included."""
    calls = hits = misses = 0
    total_ms = 0.0
    for record in records:
        calls += 1
        hits += record.hits
        misses += record.misses
        total_ms += record.duration_ms
    for counter in overflow:
        calls += counter.count
        hits += counter.hits
        misses += counter.misses
        total_ms += counter.total_ms
    return CacheTotals(calls, hits, misses, total_ms)
