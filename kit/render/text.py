"""Plain-text and markdown views of a profile (terminals, logs, text/plain, GitHub)."""

from __future__ import annotations

from kit.render.profile import Profile
from kit.render.rows import QueryRow, footer_line, query_rows, summary_line


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def queries_table_text(rows: list[QueryRow]) -> list[str]:
    """The queries as fixed-width lines: header, then one line per query."""
    if not rows:
        return []
    header = ("#", "start ms", "ms", "line", "SQL")
    cells = [
        (r.number, r.start_ms, r.duration_ms, _fit(r.line, 40), _fit(r.sql, 100)) for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:{'>' if i < 3 else '<'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header).rstrip()] + [fmt.format(*c).rstrip() for c in cells]


def render_text(profile: Profile) -> str:
    """The summary line and a fixed-width table of the queries."""
    rows = query_rows(profile)
    lines = [summary_line(profile), *queries_table_text(rows)]
    footer = footer_line(profile, len(rows))
    if footer:
        lines.append(footer)
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def queries_table_markdown(rows: list[QueryRow]) -> list[str]:
    """The queries as markdown table lines (none when there are no rows)."""
    if not rows:
        return []
    out = ["| # | start ms | ms | line | SQL |", "|--:|--:|--:|:--|:--|"]
    out += [
        f"| {r.number} | {r.start_ms} | {r.duration_ms} | {_md(r.line)} | `{_md(r.sql)}` |"
        for r in rows
    ]
    return out


def render_markdown(profile: Profile) -> str:
    """The summary in bold and a markdown table of the queries."""
    rows = query_rows(profile)
    out = [f"**{_md(summary_line(profile))}**", "", *queries_table_markdown(rows)]
    footer = footer_line(profile, len(rows))
    if footer:
        out += ["", f"_{_md(footer)}_"]
    return "\n".join(out)
