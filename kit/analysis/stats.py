"""Statistics per query shape (fingerprint) and per table: count, total, mean and max time.

The one place they are computed: Profile.by_fingerprint and by_table, the charts, the timeline,
the text tables and the budgets all read these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kit.analysis.fingerprint import sql_shape
from kit.analysis.wording import counted
from kit.capture.records import FingerprintCounter, QueryRecord

__all__ = [
    "NO_TABLE",
    "QueryStats",
    "ShapeStats",
    "TableStats",
    "main_table",
    "shape_stats",
    "stats_by_fingerprint",
    "stats_by_table",
    "table_stats",
]

# Where a statement that names no table (SELECT 1, SAVEPOINT) is counted in table_stats().
NO_TABLE = "(no table)"


@dataclass
class ShapeStats:
    """One query shape: its number (#1 is the first seen), counts, times and where it ran."""

    number: int
    fingerprint: str
    kind: str
    tables: tuple[str, ...]
    example_sql: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    lines: list[int] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """A short name for axes and legends: "#3 SELECT auth_user", "#1 SELECT blog_post
        (+2 tables)" (a join: the main table, and how many more it reads)."""
        if not self.tables:
            return f"#{self.number} {self.kind}"
        others = len(self.tables) - 1
        more = f" (+{counted(others, 'table')})" if others else ""
        return f"#{self.number} {self.kind} {main_table(self.fingerprint, self.tables)}{more}"

    @property
    def mean_ms(self) -> float:
        """Mean duration of one query of this shape, ms."""
        return self.total_ms / self.count if self.count else 0.0

    def add(self, count: int, total_ms: float, max_ms: float) -> None:
        """Count `count` more queries that took total_ms together, the slowest max_ms."""
        self.count += count
        self.total_ms += total_ms
        self.max_ms = max(self.max_ms, max_ms)


@dataclass
class TableStats:
    """One table: how many queries touched it and their time (a join counts for each table)."""

    table: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0


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


def main_table(fingerprint: str, tables: tuple[str, ...]) -> str:
    """The table a statement is mainly about: the one its SQL names first."""
    # Django's SELECT lists the model's own columns first; INSERT/UPDATE/DELETE name it first.

    def position(table: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(table)}(?![\w])", fingerprint)
        return found.start() if found else len(fingerprint)

    return min(tables, key=position)


def shape_stats(
    records: Iterable[QueryRecord], overflow: Iterable[FingerprintCounter] = ()
) -> list[ShapeStats]:
    """Every query shape in first-seen order; queries past the record cap are counted too."""
    by_fingerprint: dict[str, ShapeStats] = {}
    for record in records:
        stats = _stats_for(by_fingerprint, record.sql)
        stats.add(1, record.duration_ms, record.duration_ms)
        stats.record_ids.append(record.id)
        if record.line is not None and record.line not in stats.lines:
            stats.lines.append(record.line)
    for counter in overflow:
        _stats_for(by_fingerprint, counter.fingerprint).add(
            counter.count, counter.total_ms, counter.max_ms
        )
    return list(by_fingerprint.values())


def _stats_for(by_fingerprint: dict[str, ShapeStats], sql: str) -> ShapeStats:
    shape = sql_shape(sql)
    stats = by_fingerprint.get(shape.fingerprint)
    if stats is None:
        stats = by_fingerprint[shape.fingerprint] = ShapeStats(
            number=len(by_fingerprint) + 1,
            fingerprint=shape.fingerprint,
            kind=shape.kind,
            tables=shape.tables,
            example_sql=sql,
        )
    return stats


def table_stats(shapes: Iterable[ShapeStats]) -> list[TableStats]:
    """Per table, the queries that touched it and their time, most time first."""
    tables: dict[str, TableStats] = {}
    for shape in shapes:
        for name in shape.tables or (NO_TABLE,):
            stats = tables.setdefault(name, TableStats(name))
            stats.count += shape.count
            stats.total_ms += shape.total_ms
            stats.max_ms = max(stats.max_ms, shape.max_ms)
    return sorted(tables.values(), key=lambda t: (-t.total_ms, t.table))


def _by_total(found: Iterable[QueryStats]) -> list[QueryStats]:
    """Largest total time first; count, then key, break ties so the order is stable."""
    return sorted(found, key=lambda s: (-s.total_ms, -s.count, s.key))


def stats_by_fingerprint(
    records: Iterable[QueryRecord], overflow: Iterable[FingerprintCounter] = ()
) -> list[QueryStats]:
    """Per fingerprint, slowest total first; queries past the record cap are included."""
    shapes = shape_stats(records, overflow)
    return _by_total(QueryStats(s.fingerprint, s.count, s.total_ms, s.max_ms) for s in shapes)


def stats_by_table(
    records: Iterable[QueryRecord], overflow: Iterable[FingerprintCounter] = ()
) -> list[QueryStats]:
    """Per table, slowest total first. A join counts in full for every table it touches."""
    tables = table_stats(shape_stats(records, overflow))
    return _by_total(
        QueryStats(t.table, t.count, t.total_ms, t.max_ms) for t in tables if t.table != NO_TABLE
    )
