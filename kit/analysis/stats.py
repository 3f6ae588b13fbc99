"""Statistics per query fingerprint and per table: count, total, mean and max time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kit.analysis.fingerprint import sql_shape
from kit.capture.records import FingerprintCounter, QueryRecord

__all__ = ["QueryStats", "stats_by_fingerprint", "stats_by_table"]


@dataclass(frozen=True, slots=True)
class QueryStats:
    """Time spent on one key (a fingerprint or a table): count, total, mean and max in ms."""

    key: str
    count: int
    total_ms: float
    max_ms: float

    @property
    def mean_ms(self) -> float:
        """Average time per query, ms."""
        return self.total_ms / self.count if self.count else 0.0


class _Totals:
    __slots__ = ("count", "max_ms", "total_ms")

    def __init__(self) -> None:
        self.count, self.total_ms, self.max_ms = 0, 0.0, 0.0

    def add(self, count: int, total_ms: float, max_ms: float) -> None:
        self.count += count
        self.total_ms += total_ms
        self.max_ms = max(self.max_ms, max_ms)


def _sorted(totals: dict[str, _Totals]) -> list[QueryStats]:
    """Largest total time first; count, then key, break ties so the order is stable."""
    found = [QueryStats(k, t.count, t.total_ms, t.max_ms) for k, t in totals.items()]
    return sorted(found, key=lambda s: (-s.total_ms, -s.count, s.key))


def stats_by_fingerprint(
    records: Iterable[QueryRecord], overflow: Iterable[FingerprintCounter] = ()
) -> list[QueryStats]:
    """Per fingerprint, slowest total first; queries past the record cap are included."""
    totals: dict[str, _Totals] = {}
    for record in records:
        key = sql_shape(record.sql).fingerprint
        totals.setdefault(key, _Totals()).add(1, record.duration_ms, record.duration_ms)
    for counter in overflow:
        totals.setdefault(counter.fingerprint, _Totals()).add(
            counter.count, counter.total_ms, counter.max_ms
        )
    return _sorted(totals)


def stats_by_table(
    records: Iterable[QueryRecord], overflow: Iterable[FingerprintCounter] = ()
) -> list[QueryStats]:
    """Per table, slowest total first. A join counts in full for every table it touches."""
    totals: dict[str, _Totals] = {}
    for record in records:
        for table in sql_shape(record.sql).tables:
            totals.setdefault(table, _Totals()).add(1, record.duration_ms, record.duration_ms)
    for counter in overflow:
        # The counter's key is already a fingerprint, which reads back to the same tables.
        for table in sql_shape(counter.fingerprint).tables:
            totals.setdefault(table, _Totals()).add(
                counter.count, counter.total_ms, counter.max_ms
            )
    return _sorted(totals)
