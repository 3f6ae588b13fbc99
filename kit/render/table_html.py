"""The query table as HTML: by shape (default) or the slowest queries one by one (--rows N).

Plain tables that read with no JavaScript: <details> opens a shape's SQL and its slowest
queries in JupyterLab, nbconvert's HTML and on GitHub alike (kit.render.markup says how the
cells hold up against JupyterLab's stylesheet).
"""

from __future__ import annotations

from html import escape

from kit.profiles.profile import Profile
from kit.render.markup import LEFT, RIGHT, cell, code_block, header
from kit.render.rows import QueryRow, footer_line, query_rows
from kit.render.shape_rows import ShapeRow, shape_rows, shapes_footer
from kit.render.shapes import ShapeStats
from kit.render.sqltext import format_sql, shorten_lists, wrap_sql

# A shape's queries list their params this far (the whole is in p.queries).
PARAMS_CHARS = 80
SUMMARY_STYLE = "white-space:normal;word-break:normal;overflow-wrap:normal"


def sql_details(summary: str, sql: str, inside: str = "") -> str:
    """The one-line SQL that unfolds to the whole statement, laid out and wrapped."""
    return (
        f'<details><summary><code style="{SUMMARY_STYLE}">{escape(summary)}</code></summary>'
        f"{code_block(wrap_sql(format_sql(shorten_lists(sql))))}{inside}</details>"
    )


def _line_cell(row: QueryRow, text_too: bool = True) -> str:
    """The cell line ("3: names = ..."; without text_too the number alone, the shape's row
    above says the text), and the code it went through when not the cell's own."""
    text = escape(row.line if text_too else row.line.split(":", 1)[0])
    if row.rendered:
        # A template line, a serializer field, an admin column: what the reader fixes.
        text += f"<br><small>from <code>{escape(row.rendered)}</code></small>"
    elif row.where:
        text += f"<br><small>in {escape(row.where)}</small>"
    return cell(text, top=text_too)


def _params(row: QueryRow) -> str:
    return "" if row.params in ("()", "None", "[]") else row.params


def _short(text: str, width: int = PARAMS_CHARS) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _error(row: QueryRow) -> str:
    return f"<br><strong>{escape(row.error)}</strong>" if row.error else ""


def render_queries_table(rows: list[QueryRow]) -> str:
    """A <table> of queries: number, start, duration, cell line, SQL (expandable)."""
    head = header(
        ("#", RIGHT), ("start (ms)", RIGHT), ("time (ms)", RIGHT), ("cell line", LEFT),
        ("SQL", LEFT),
    )  # fmt: skip
    body = []
    for r in rows:
        params = code_block(f"params: {_params(r)}") if _params(r) else ""
        body.append(
            f"<tr>{cell(r.number, align=RIGHT)}{cell(r.start_ms, align=RIGHT)}"
            f"{cell(r.duration_ms, align=RIGHT)}{_line_cell(r)}"
            f"{cell(sql_details(r.sql, r.full_sql, params) + _error(r))}</tr>"
        )
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def _shape_queries(row: ShapeRow) -> str:
    """A shape's slowest queries, as a small table under its SQL."""
    if not row.queries:
        return ""
    head = header(
        ("#", RIGHT), ("start (ms)", RIGHT), ("time (ms)", RIGHT), ("line", LEFT),
        ("params", LEFT),
    )  # fmt: skip
    body = "".join(
        f"<tr>{cell(q.number, align=RIGHT, top=False)}"
        f"{cell(q.start_ms, align=RIGHT, top=False)}"
        f"{cell(q.duration_ms, align=RIGHT, top=False)}"
        f"{_line_cell(q, text_too=False)}{cell(escape(_short(_params(q))) + _error(q), top=False)}"
        "</tr>"
        for q in row.queries
    )
    which = "Its slowest queries" if row.unlisted else "Its queries"
    more = f" ({row.unlisted:,} more not listed)" if row.unlisted else ""
    return f"<p>{which}{more}:</p><table>{head}<tbody>{body}</tbody></table>"


def render_shapes_table(rows: list[ShapeRow]) -> str:
    """A <table> with one row per query shape: count, total and max time, lines, SQL."""
    head = header(
        ("shape", LEFT), ("queries", RIGHT), ("total ms", RIGHT), ("max ms", RIGHT),
        ("lines", LEFT), ("SQL", LEFT),
    )  # fmt: skip
    body = "".join(
        f"<tr>{cell(escape(r.label))}{cell(r.count, align=RIGHT)}"
        f"{cell(r.total_ms, align=RIGHT)}{cell(r.max_ms, align=RIGHT)}"
        f"{cell('<br>'.join(escape(p) for p in r.places))}"
        f"{cell(sql_details(r.sql, r.full_sql, _shape_queries(r)))}</tr>"
        for r in rows
    )
    return f"<table>{head}<tbody>{body}</tbody></table>"


def render_table_section_html(profile: Profile, shapes: list[ShapeStats] | None = None) -> str:
    """The query table and a footer saying what it leaves out (by shape unless --rows N);
    `shapes`: the profile's shape statistics when the caller has them already."""
    if profile.rows_by == "query":
        slowest = query_rows(profile, slowest=True)
        parts = [render_queries_table(slowest)] if slowest else []
        footer = footer_line(profile, len(slowest), slowest=True)
    else:
        rows = shape_rows(profile, shapes=shapes)
        parts = [render_shapes_table(rows)] if rows else []
        footer = shapes_footer(profile, len(rows), shapes) if rows else None
    if footer:
        parts.append(f"<p><em>{escape(footer)}</em></p>")
    return "<div>" + "".join(parts) + "</div>"
