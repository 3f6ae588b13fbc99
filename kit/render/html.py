"""HTML view of a profile: plain tables that read well with no CSS and no JavaScript."""

from __future__ import annotations

from html import escape

from kit.profiles.profile import Profile
from kit.render.cache_tables import cache_section_html
from kit.render.findings import finding_items
from kit.render.plans import plans_html
from kit.render.rows import QueryRow, footer_line, query_rows, summary_line
from kit.render.sqltext import format_sql


def _sql_cell(row: QueryRow) -> str:
    # <details> opens and closes without JavaScript, in JupyterLab, nbconvert and on GitHub.
    body = escape(format_sql(row.full_sql))
    params = f"\nparams: {escape(row.params)}" if row.params not in ("()", "None", "[]") else ""
    error = f"<br><strong>{escape(row.error)}</strong>" if row.error else ""
    return (
        f"<details><summary><code>{escape(row.sql)}</code></summary>"
        f"<pre>{body}{params}</pre></details>{error}"
    )


def _line_cell(row: QueryRow) -> str:
    text = escape(row.line)
    if row.rendered:
        # A template line, a serializer field, an admin column: what the reader fixes.
        text += f"<br><small>from <code>{escape(row.rendered)}</code></small>"
    elif row.where:
        text += f"<br><small>in {escape(row.where)}</small>"
    return text


def render_queries_table(rows: list[QueryRow]) -> str:
    """A <table> of queries: number, start, duration, cell line, SQL (expandable)."""
    head = (
        "<thead><tr><th>#</th><th>start (ms)</th><th>time (ms)</th>"
        "<th>cell line</th><th>SQL</th></tr></thead>"
    )
    body = "".join(
        f'<tr><td align="right">{r.number}</td><td align="right">{r.start_ms}</td>'
        f'<td align="right">{r.duration_ms}</td><td>{_line_cell(r)}</td>'
        f"<td>{_sql_cell(r)}</td></tr>"
        for r in rows
    )
    return f"<table>{head}<tbody>{body}</tbody></table>"


def render_findings(profile: Profile) -> str:
    """A <ul> of findings, worst first, each with its code to paste; "" when there are none."""
    items, more = finding_items(profile)
    if not items:
        return ""
    parts = []
    for item in items:
        code = f"<pre><code>{escape(item.suggestion)}</code></pre>" if item.suggestion else ""
        notes = "".join(f"<br><em>{escape(note)}</em>" for note in item.notes)
        parts.append(
            f"<li><strong>{escape(item.label)}</strong>: {escape(item.message)}{code}{notes}</li>"
        )
    footer = f"<p><em>{escape(more)}</em></p>" if more else ""
    return f"<p>Findings, worst first:</p><ul>{''.join(parts)}</ul>{footer}"


def render_html(profile: Profile) -> str:
    """The summary line, the findings, then the query table and what the table leaves out."""
    rows = query_rows(profile)
    parts = [f"<p><strong>{escape(summary_line(profile))}</strong></p>"]
    findings = render_findings(profile)
    if findings:
        parts.append(findings)
    if rows:
        parts.append(render_queries_table(rows))
    footer = footer_line(profile, len(rows))
    if footer:
        parts.append(f"<p><em>{escape(footer)}</em></p>")
    if profile.cache_call_count:
        parts.append(cache_section_html(profile))
    parts.append(plans_html(profile.plans, profile.explain_errors))
    return "<div>" + "".join(parts) + "</div>"


def render_table_section_html(profile: Profile) -> str:
    """The query table and what it leaves out, without the summary (the magic shows that first)."""
    rows = query_rows(profile)
    parts = [render_queries_table(rows)] if rows else []
    footer = footer_line(profile, len(rows))
    if footer:
        parts.append(f"<p><em>{escape(footer)}</em></p>")
    return "<div>" + "".join(parts) + "</div>"
