"""Counts and time per query shape (fingerprint) and per table, numbered as figures show them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kit.analysis.fingerprint import sql_shape
from kit.capture.records import QueryRecord
from kit.render.profile import Profile
from kit.render.sqltext import summarize_sql

# Plotly's and D3's qualitative palettes without their reds (red marks N+1 groups): the same
# shape has the same colour in every figure.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#636efa", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#b6e880", "#fecb52",
)  # fmt: skip


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
        """A short name for axes and legends: "#3 SELECT auth_user", "#1 SELECT blog_post +2"."""
        if not self.tables:
            return f"#{self.number} {self.kind}"
        more = f" +{len(self.tables) - 1}" if len(self.tables) > 1 else ""
        return f"#{self.number} {self.kind} {main_table(self.fingerprint, self.tables)}{more}"

    @property
    def summary(self) -> str:
        """The shape's SQL on one line, column lists elided."""
        return summarize_sql(self.example_sql, width=160)

    @property
    def color(self) -> str:
        """This shape's colour in every figure."""
        return PALETTE[(self.number - 1) % len(PALETTE)]

    @property
    def mean_ms(self) -> float:
        """Mean duration of one query of this shape, ms."""
        return self.total_ms / self.count if self.count else 0.0


@dataclass
class TableStats:
    """One table: how many queries touched it and their time (a join counts for each table)."""

    table: str
    count: int = 0
    total_ms: float = 0.0


def main_table(fingerprint: str, tables: tuple[str, ...]) -> str:
    """The table a statement is mainly about: the one its SQL names first."""
    # Django's SELECT lists the model's own columns first; INSERT/UPDATE/DELETE name it first.

    def position(table: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(table)}(?![\w])", fingerprint)
        return found.start() if found else len(fingerprint)

    return min(tables, key=position)


def shape_stats(profile: Profile) -> list[ShapeStats]:
    """Every query shape in first-seen order; queries past the record cap are counted too."""
    by_fingerprint: dict[str, ShapeStats] = {}
    for record in profile.queries:
        stats = _stats_for(by_fingerprint, record.sql)
        _add(stats, record)
    for counter in profile.overflow:
        stats = _stats_for(by_fingerprint, counter.fingerprint)
        stats.count += counter.count
        stats.total_ms += counter.total_ms
        stats.max_ms = max(stats.max_ms, counter.max_ms)
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


def _add(stats: ShapeStats, record: QueryRecord) -> None:
    stats.count += 1
    stats.total_ms += record.duration_ms
    stats.max_ms = max(stats.max_ms, record.duration_ms)
    stats.record_ids.append(record.id)
    if record.line is not None and record.line not in stats.lines:
        stats.lines.append(record.line)


def table_stats(shapes: list[ShapeStats]) -> list[TableStats]:
    """Per table, the queries that touched it and their time, most time first."""
    tables: dict[str, TableStats] = {}
    for shape in shapes:
        for name in shape.tables or ("(no table)",):
            stats = tables.setdefault(name, TableStats(name))
            stats.count += shape.count
            stats.total_ms += shape.total_ms
    return sorted(tables.values(), key=lambda t: (-t.total_ms, t.table))


def shape_of_record(shapes: list[ShapeStats]) -> dict[int, ShapeStats]:
    """Record id -> its shape."""
    return {rid: shape for shape in shapes for rid in shape.record_ids}
