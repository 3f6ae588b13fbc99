"""The query table's rows and the summary line, shared by the text, markdown and HTML views."""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.location import file_place
from kit.analysis.timings import RunTimes
from kit.analysis.wording import counted
from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile
from kit.render.sqltext import format_params, summarize_sql


@dataclass(frozen=True, slots=True)
class QueryRow:
    """One row of the query table, every cell already a string."""

    number: str
    start_ms: str
    duration_ms: str
    line: str
    where: str
    sql: str
    full_sql: str
    params: str
    error: str
    # Where Django rendered it from, with the template's tag: "blog/post_list.html:9
    # {{ post.author.username }}", "PostSerializer.author"; "" when it did not.
    rendered: str = ""


def _where(record: QueryRecord, profile: Profile) -> str:
    """Where the query came from when that is not the profiled cell itself, else ""."""
    rendered = rendered_place(record)
    if rendered:
        return rendered
    if record.source_file == profile.cell_filename:
        return ""
    return file_place(record.source_file, record.source_lineno, profile.cell_numbers) or ""


def rendered_place(record: QueryRecord) -> str:
    """Where Django rendered the query from, with a template's tag: "blog/post_list.html:9
    {{ post.author.username }}", "PostSerializer.author"; "" when it did not."""
    place = record.rendered_from
    if place is None:
        return ""
    if place == record.template and record.template_code:
        return f"{place} {record.template_code}"
    return place


def query_row(profile: Profile, record: QueryRecord) -> QueryRow:
    """One query as a table row."""
    text = profile.cell_line_text(record.line)
    line = "" if record.line is None else str(record.line)
    if text:
        line = f"{line}: {text}"
    return QueryRow(
        number=str(record.id + 1),
        start_ms=f"{record.start_ms:,.1f}",
        duration_ms=f"{record.duration_ms:,.2f}",
        line=line,
        where=_where(record, profile),
        sql=summarize_sql(record.sql),
        full_sql=record.sql,
        params=format_params(record.params),
        error=record.error or "",
        rendered=rendered_place(record),
    )


def query_rows(
    profile: Profile, limit: int | None = None, *, slowest: bool = False
) -> list[QueryRow]:
    """The first `limit` queries (default: the profile's max_rows) as table rows; with
    `slowest`, the `limit` slowest, slowest first."""
    limit = profile.max_rows if limit is None else limit
    records = profile.queries
    if slowest:
        records = sorted(records, key=lambda q: -q.duration_ms)
    return [query_row(profile, record) for record in records[:limit]]


def summary_line(profile: Profile) -> str:
    """One line: queries, database time, wall time, databases, the cache calls (when there
    were any), and what was not kept.

    After --repeat N the times are the runs' medians, and the line says so with their spread.
    """
    runs = profile.runs
    db_ms = profile.db_time_ms if runs is None else runs.median_db_ms
    wall_ms = profile.wall_time_ms if runs is None else runs.median_wall_ms
    parts = [
        counted(profile.query_count, "query"),
        f"{db_ms:,.1f} ms in the database",
        f"{wall_ms:,.1f} ms wall time",
    ]
    vendors = profile.vendors
    if vendors:
        parts.append(", ".join(vendors))
    if profile.cache_call_count:
        parts.append(cache_summary(profile))
    if runs is not None:
        parts.append(runs_part(runs))
    if profile.counted_only:
        parts.append(f"{profile.counted_only:,} past the record cap counted by fingerprint only")
    if profile.error:
        parts.append(f"stopped by {profile.error}")
    title = f"{profile.name}: " if profile.name else ""
    return title + " · ".join(parts)


def cache_summary(profile: Profile) -> str:
    """ "12 cache calls, 9 hits, 3 misses, 4.1 ms" (hits and misses count keys read)."""
    totals = profile.cache_totals
    calls = counted(totals.calls, "cache call")
    hits, misses = counted(totals.hits, "hit"), counted(totals.misses, "miss")
    return f"{calls}, {hits}, {misses}, {totals.total_ms:,.1f} ms"


def runs_part(runs: RunTimes) -> str:
    """ "median of 5 runs, each rolled back (spread: 0.4 ms in the database, 12.0 ms wall)"."""
    text = (
        f"median of {counted(runs.runs, 'run')}, each rolled back (spread: "
        f"{runs.spread_db_ms:,.1f} ms in the database, {runs.spread_wall_ms:,.1f} ms wall)"
    )
    if not runs.same_queries:
        text += f"; queries per run: {', '.join(f'{n:,}' for n in runs.queries)}"
    return text


def footer_line(profile: Profile, shown: int, *, slowest: bool = False) -> str | None:
    """Says what the table leaves out, and where to find it, or None when it shows everything."""
    kept = len(profile.queries)
    if shown >= profile.query_count:
        return None
    name = profile.name or "p"
    which = f"the {shown:,} slowest" if slowest else f"{shown:,}"
    parts = [f"Showing {which} of {counted(profile.query_count, 'query')}"]
    if kept > shown:
        parts.append(f"all {kept:,} recorded ones are in {name}.queries")
    if profile.counted_only:
        parts.append(f"{name}.overflow counts the other {profile.counted_only:,} by fingerprint")
    return "; ".join(parts) + "."
