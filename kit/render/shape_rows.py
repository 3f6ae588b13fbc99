"""The query table's rows by shape: one per query shape, unfolding to its slowest queries.

A 50-row table of near-identical queries filled a cell's output (issue 16); one row per
shape (count, total and max time, the lines that sent it, its SQL) says the same in a few.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.location import file_place
from kit.analysis.wording import counted
from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile
from kit.render.rows import QueryRow, query_row, rendered_place
from kit.render.shapes import ShapeStats, shape_stats
from kit.render.sqltext import summarize_sql

# Queries listed when a shape unfolds (its slowest), and places named per shape.
QUERIES_PER_SHAPE = 5
PLACES_PER_SHAPE = 3
PLACE_CHARS = 70


@dataclass(frozen=True, slots=True)
class ShapeRow:
    """One query shape of the table, every cell a string; `queries` its slowest ones."""

    label: str
    count: str
    total_ms: str
    max_ms: str
    places: tuple[str, ...]
    sql: str
    full_sql: str
    queries: tuple[QueryRow, ...]
    unlisted: int


def by_cost(shapes: list[ShapeStats]) -> list[ShapeStats]:
    """Most database time first; then most queries; then first seen."""
    return sorted(shapes, key=lambda s: (-s.total_ms, -s.count, s.number))


def shape_rows(
    profile: Profile, limit: int | None = None, shapes: list[ShapeStats] | None = None
) -> list[ShapeRow]:
    """The `limit` (default: the profile's max_rows) costliest shapes as table rows."""
    limit = profile.max_rows if limit is None else limit
    shapes = shape_stats(profile) if shapes is None else shapes
    by_id = {q.id: q for q in profile.queries}
    rows = []
    for shape in by_cost(shapes)[:limit]:
        records = [by_id[i] for i in shape.record_ids]
        slowest = sorted(records, key=lambda q: -q.duration_ms)[:QUERIES_PER_SHAPE]
        rows.append(
            ShapeRow(
                label=shape.label,
                count=f"{shape.count:,}",
                total_ms=f"{shape.total_ms:,.2f}",
                max_ms=f"{shape.max_ms:,.2f}",
                places=places(profile, records),
                sql=summarize_sql(shape.example_sql),
                full_sql=shape.example_sql,
                queries=tuple(query_row(profile, q) for q in slowest),
                unlisted=shape.count - len(slowest),
            )
        )
    return rows


def places(profile: Profile, records: list[QueryRecord]) -> tuple[str, ...]:
    """Where a shape's queries came from, first seen first: "line 3: for post in posts:",
    "cell [2], line 6 (called from line 3)"; past PLACES_PER_SHAPE, how many more."""
    found = list(dict.fromkeys(place(profile, q) for q in records))
    if len(found) > PLACES_PER_SHAPE:
        more = len(found) - PLACES_PER_SHAPE + 1
        found = [*found[: PLACES_PER_SHAPE - 1], f"and {counted(more, 'other place')}"]
    return tuple(found)


def place(profile: Profile, record: QueryRecord) -> str:
    """One query's place: its cell line with the line's text, or the code the cell called."""
    text = profile.cell_line_text(record.line)
    here = "" if record.line is None else f"line {record.line}"
    if text:
        text = text if len(text) <= PLACE_CHARS else text[: PLACE_CHARS - 1] + "…"
        here = f"{here}: {text}"
    rendered = rendered_place(record)
    if rendered:
        # Where Django rendered it from (a template line and tag, a serializer field, an admin
        # column): what the reader fixes, whatever the cell's line that made the request.
        return f"{rendered} (called from line {record.line})" if record.line else rendered
    if record.source_file is None or record.source_file == profile.cell_filename:
        return here or "an unknown line"
    elsewhere = file_place(record.source_file, record.source_lineno, profile.cell_numbers)
    return f"{elsewhere} (called from line {record.line})" if record.line else f"{elsewhere}"


def shapes_footer(profile: Profile, shown: int, shapes: list[ShapeStats] | None = None) -> str:
    """What the table by shape leaves out, and where to find every query."""
    name = profile.name or "p"
    total = len(shape_stats(profile) if shapes is None else shapes)
    parts = []
    if shown < total:
        parts.append(f"Showing the {shown:,} costliest of {counted(total, 'query shape')}")
    parts.append(
        f"click a shape's SQL for its slowest queries; all of them are in {name}.queries "
        f"({name}.to_dataframe()), and --rows N lists the N slowest one by one"
    )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
