"""A standalone HTML report of a profile: plain tables and static images, no JavaScript."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from kit.analysis.verification import describe
from kit.profiles.profile import Profile
from kit.render.cache_tables import CALL_HEADER, cache_call_rows, pattern_rows
from kit.render.html import render_findings
from kit.render.rows import footer_line, query_rows, summary_line
from kit.render.shapes import ShapeStats, shape_stats
from kit.render.table_html import render_queries_table
from kit.render.textcharts import SHAPE_HEADER, TABLE_HEADER, breakdown_tables, timeline_text

REPORT_ROWS = 1_000
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
pre { white-space: pre-wrap; }
"""


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes | None, alt: str, fallback: str) -> str:
    if png is None:
        return f"<pre>{escape(fallback)}</pre>"
    data = base64.b64encode(png).decode("ascii")
    return f'<p><img src="data:image/png;base64,{data}" alt="{escape(alt)}"></p>'


def _figures(profile: Profile, shapes: list[ShapeStats], static_images: bool) -> str:
    from kit.render.charts import render_breakdown
    from kit.render.figures import png_exporter
    from kit.render.marks import n_plus_one_groups
    from kit.render.timeline import render_timeline

    groups = n_plus_one_groups(profile)
    text = timeline_text(profile, shapes, groups)
    if not static_images:
        return f"<pre>{escape(text)}</pre>"
    exporter = png_exporter()
    timeline = exporter.to_png(render_timeline(profile, shapes=shapes, groups=groups))
    html = _image(timeline, "timeline of the queries", text)
    breakdown = exporter.to_png(render_breakdown(profile, shapes=shapes))
    if breakdown is not None:
        html += _image(breakdown, "queries and time by shape and by table", "")
    return html


def _cache_sections(profile: Profile, redact: bool) -> list[str]:
    """The cache calls by key pattern, then the calls themselves (the first REPORT_ROWS)."""
    header, rows = pattern_rows(profile, top=len(profile.by_cache_pattern))
    calls = cache_call_rows(profile, REPORT_ROWS, redact=redact)
    parts = ["<h2>By cache key pattern</h2>", _table(header, rows), "<h2>Cache calls</h2>"]
    parts.append(_table(CALL_HEADER, calls))
    if profile.cache_call_count > len(calls):
        name = profile.name or "p"
        parts.append(
            f"<p><em>Showing {len(calls):,} of {profile.cache_call_count:,} cache calls; the "
            f"recorded ones are in {escape(name)}.cache_calls.</em></p>"
        )
    return parts


VERIFY_HEADER = ("fix of", "code", "result", "queries", "database ms")


def _verification_rows(profile: Profile) -> list[tuple[str, ...]]:
    """One row per fix the replay tried (--verify): what, the code, the verdict, the numbers."""
    rows: list[tuple[str, ...]] = []
    for v in profile.verifications:
        finding = v.finding.message if v.finding else "all fixes together"
        after = "" if v.queries_after is None else f"{v.queries_after:,}"
        ms_after = "" if v.db_time_ms_after is None else f"{v.db_time_ms_after:,.1f}"
        rows.append(
            (
                finding,
                v.code,
                describe(v),
                f"{v.queries_before:,} -> {after}" if after else f"{v.queries_before:,}",
                f"{v.db_time_ms_before:,.1f} -> {ms_after}" if ms_after else "",
            )
        )
    return rows


def render_report(
    profile: Profile, *, redact_params: bool | None = None, static_images: bool = True
) -> str:
    """The report as one HTML document (images inlined as data: URLs); redact_params
    defaults to the profile's own setting."""
    if redact_params is None:
        redact_params = profile.redact_params
    if redact_params:
        # Params, and the values errors and plans quote (a duplicate key's email), are out.
        profile = profile.redacted()
    title = f"Query profile: {profile.name}" if profile.name else "Query profile"
    shapes = shape_stats(profile)
    by_shape, by_table = breakdown_tables(shapes, top=len(shapes) or 1)
    rows = query_rows(profile, limit=REPORT_ROWS)
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p><strong>{escape(summary_line(profile))}</strong></p>",
        f"<p>Started {escape(profile.started_at.isoformat(timespec='seconds'))}.</p>",
    ]
    parts.append(render_findings(profile))
    if profile.verifications:
        parts += ["<h2>Fixes replayed</h2>", _table(VERIFY_HEADER, _verification_rows(profile))]
    if profile.cell:
        parts.append(f"<h2>Code</h2><pre>{escape(profile.cell)}</pre>")
    if profile.queries or profile.cache_calls:
        parts += ["<h2>Timeline</h2>", _figures(profile, shapes, static_images)]
    parts += ["<h2>By query shape</h2>", _table(SHAPE_HEADER, by_shape)]
    parts += ["<h2>By table</h2>", _table(TABLE_HEADER, by_table)]
    if profile.cache_call_count:
        parts += _cache_sections(profile, redact_params)
    parts.append("<h2>Queries</h2>")
    if redact_params:
        parts.append("<p><em>Query parameters are redacted.</em></p>")
    if rows:
        parts.append(render_queries_table(rows))
    footer = footer_line(profile, len(rows))
    if footer:
        parts.append(f"<p><em>{escape(footer)}</em></p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


def write_report(
    profile: Profile,
    path: str | Path,
    *,
    redact_params: bool | None = None,
    static_images: bool = True,
) -> Path:
    """Write the standalone HTML report to path; returns the path."""
    target = Path(path)
    html = render_report(profile, redact_params=redact_params, static_images=static_images)
    target.write_text(html, encoding="utf-8")
    return target
