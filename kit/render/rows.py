"""The query table's rows and the summary line, shared by the text, markdown and HTML views."""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.location import file_place
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
    rendered = _rendered(record)
    if rendered:
        return rendered
    if record.source_file == profile.cell_filename:
        return ""
    return file_place(record.source_file, record.source_lineno) or ""


def _rendered(record: QueryRecord) -> str:
    place = record.rendered_from
    if place is None:
        return ""
    if place == record.template and record.template_code:
        return f"{place} {record.template_code}"
    return place


def query_rows(profile: Profile, limit: int | None = None) -> list[QueryRow]:
    """The first `limit` queries (default: the profile's max_rows) as table rows."""
    limit = profile.max_rows if limit is None else limit
    rows = []
    for record in profile.queries[:limit]:
        text = profile.cell_line_text(record.line)
        line = "" if record.line is None else str(record.line)
        if text:
            line = f"{line}: {text}"
        rows.append(
            QueryRow(
                number=str(record.id + 1),
                start_ms=f"{record.start_ms:,.1f}",
                duration_ms=f"{record.duration_ms:,.2f}",
                line=line,
                where=_where(record, profile),
                sql=summarize_sql(record.sql),
                full_sql=record.sql,
                params=format_params(record.params),
                error=record.error or "",
                rendered=_rendered(record),
            )
        )
    return rows


def _count(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def summary_line(profile: Profile) -> str:
    """One line: queries, database time, wall time, databases, the cache calls (when there
    were any), and what was not kept."""
    parts = [
        _count(profile.query_count, "query", "queries"),
        f"{profile.db_time_ms:,.1f} ms in the database",
        f"{profile.wall_time_ms:,.1f} ms wall time",
    ]
    vendors = profile.vendors
    if vendors:
        parts.append(", ".join(vendors))
    if profile.cache_call_count:
        parts.append(cache_summary(profile))
    if profile.counted_only:
        parts.append(f"{profile.counted_only:,} past the record cap counted by fingerprint only")
    if profile.error:
        parts.append(f"stopped by {profile.error}")
    title = f"{profile.name}: " if profile.name else ""
    return title + " · ".join(parts)


def cache_summary(profile: Profile) -> str:
    """ "12 cache calls, 9 hits, 3 misses, 4.1 ms" (hits and misses count keys read)."""
    totals = profile.cache_totals
    calls = _count(totals.calls, "cache call", "cache calls")
    hits, misses = _count(totals.hits, "hit", "hits"), _count(totals.misses, "miss", "misses")
    return f"{calls}, {hits}, {misses}, {totals.total_ms:,.1f} ms"


def footer_line(profile: Profile, shown: int) -> str | None:
    """Says what the table leaves out, and where to find it, or None when it shows everything."""
    kept = len(profile.queries)
    if shown >= profile.query_count:
        return None
    name = profile.name or "p"
    parts = [f"Showing {shown:,} of {profile.query_count:,} queries"]
    if kept > shown:
        parts.append(f"all {kept:,} recorded ones are in {name}.queries")
    if profile.counted_only:
        parts.append(f"{name}.overflow counts the other {profile.counted_only:,} by fingerprint")
    return "; ".join(parts) + "."
