"""Plain-text and markdown views of a profile (terminals, logs, text/plain, GitHub)."""

from __future__ import annotations

from kit.render.plans import plans_text
from kit.render.profile import Profile
from kit.render.rows import footer_line, query_rows, summary_line


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(profile: Profile) -> str:
    """The summary line and a fixed-width table of the queries."""
    rows = query_rows(profile)
    lines = [summary_line(profile)]
    if rows:
        header = ("#", "start ms", "ms", "line", "SQL")
        cells = [
            (r.number, r.start_ms, r.duration_ms, _fit(r.line, 40), _fit(r.sql, 100)) for r in rows
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
        fmt = "  ".join(f"{{:{'>' if i < 3 else '<'}{w}}}" for i, w in enumerate(widths))
        lines.append(fmt.format(*header).rstrip())
        lines.extend(fmt.format(*c).rstrip() for c in cells)
    footer = footer_line(profile, len(rows))
    if footer:
        lines.append(footer)
    plans = plans_text(profile.plans, profile.explain_errors)
    if plans:
        lines += ["", plans]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def render_markdown(profile: Profile) -> str:
    """The summary in bold and a markdown table of the queries."""
    rows = query_rows(profile)
    out = [f"**{_md(summary_line(profile))}**", ""]
    if rows:
        out += ["| # | start ms | ms | line | SQL |", "|--:|--:|--:|:--|:--|"]
        out += [
            f"| {r.number} | {r.start_ms} | {r.duration_ms} | {_md(r.line)} | `{_md(r.sql)}` |"
            for r in rows
        ]
    footer = footer_line(profile, len(rows))
    if footer:
        out += ["", f"_{_md(footer)}_"]
    plans = plans_text(profile.plans, profile.explain_errors)
    if plans:
        out += ["", "```text", plans, "```"]
    return "\n".join(out)
