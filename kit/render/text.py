"""Plain-text and markdown views of a profile (terminals, logs, text/plain, GitHub)."""

from __future__ import annotations

from kit.profiles.profile import Profile
from kit.render.cache_tables import cache_section_markdown, cache_section_text
from kit.render.findings import finding_items, verification_summary
from kit.render.plans import plans_text
from kit.render.rows import QueryRow, footer_line, query_rows, summary_line
from kit.render.shape_rows import ShapeRow, shape_rows, shapes_footer
from kit.render.shapes import ShapeStats


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def findings_text(profile: Profile) -> list[str]:
    """The findings as text lines, worst first, each with its code to paste (none: [])."""
    items, more = finding_items(profile)
    if not items:
        return []
    lines = ["Findings, worst first:"]
    for item in items:
        lines.append(f"- [{item.label}] {item.message}")
        if item.suggestion:
            lines.extend(f"    {code}".rstrip() for code in item.suggestion.splitlines())
        lines.extend(f"    ({note})" for note in item.notes)
        lines.extend(f"    {line}".rstrip() for line in item.verification)
    if more:
        lines.append(more)
    together = verification_summary(profile)
    if together:
        lines.append(together)
    return lines


def queries_table_text(rows: list[QueryRow]) -> list[str]:
    """The queries as fixed-width lines: header, then one line per query."""
    if not rows:
        return []
    header = ("#", "start ms", "ms", "line", "SQL")
    cells = [
        (r.number, r.start_ms, r.duration_ms, _fit(r.rendered or r.line, 40), _fit(r.sql, 100))
        for r in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:{'>' if i < 3 else '<'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header).rstrip()] + [fmt.format(*c).rstrip() for c in cells]


SHAPE_COLUMNS = ("shape", "queries", "total ms", "max ms", "lines", "SQL")


def _shape_cells(row: ShapeRow) -> tuple[str, ...]:
    return (
        row.label, row.count, row.total_ms, row.max_ms, _fit("; ".join(row.places), 40),
        _fit(row.sql, 80),
    )  # fmt: skip


def shapes_table_text(rows: list[ShapeRow]) -> list[str]:
    """The query shapes as fixed-width lines: header, then one line per shape."""
    if not rows:
        return []
    cells = [_shape_cells(r) for r in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(SHAPE_COLUMNS)]
    fmt = "  ".join(f"{{:{'>' if 0 < i < 4 else '<'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*SHAPE_COLUMNS).rstrip()] + [fmt.format(*c).rstrip() for c in cells]


def shapes_table_markdown(rows: list[ShapeRow]) -> list[str]:
    """The query shapes as markdown table lines (none when there are no rows)."""
    if not rows:
        return []
    out = ["| " + " | ".join(SHAPE_COLUMNS) + " |", "|:--|--:|--:|--:|:--|:--|"]
    for row in rows:
        label, count, total, most, lines, sql = _shape_cells(row)
        out.append(f"| {_md(label)} | {count} | {total} | {most} | {_md(lines)} | `{_md(sql)}` |")
    return out


def table_text(
    profile: Profile, markdown: bool = False, shapes: list[ShapeStats] | None = None
) -> list[str]:
    """The query table as text or markdown lines, by shape unless --rows N, and its footer."""
    if profile.rows_by == "query":
        slowest = query_rows(profile, slowest=True)
        lines = queries_table_markdown(slowest) if markdown else queries_table_text(slowest)
        footer = footer_line(profile, len(slowest), slowest=True)
    else:
        rows = shape_rows(profile, shapes=shapes)
        lines = shapes_table_markdown(rows) if markdown else shapes_table_text(rows)
        footer = shapes_footer(profile, len(rows), shapes) if rows else None
    if footer:
        lines += ["", f"_{_md(footer)}_"] if markdown else [footer]
    return lines


def render_text(profile: Profile) -> str:
    """The summary line, the findings and a fixed-width table of the query shapes."""
    lines = [summary_line(profile), *findings_text(profile), *table_text(profile)]
    if profile.cache_call_count:
        lines += ["", cache_section_text(profile)]
    plans = plans_text(profile.plans, profile.explain_errors)
    if plans:
        lines += ["", plans]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def _code(text: str) -> str:
    # Outside a table, only a backtick can end a code span early: widen the fence then. Code of
    # several lines (a ModelAdmin's fix) is a fenced block of its own.
    if "\n" in text:
        return (
            "\n\n  ```python\n" + "".join(f"  {line}\n" for line in text.splitlines()) + "  ```\n"
        )
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def findings_markdown(profile: Profile) -> list[str]:
    """The findings as a markdown list and a blank line after it (none: [])."""
    items, more = finding_items(profile)
    out = []
    for item in items:
        code = f" {_code(item.suggestion)}" if item.suggestion else ""
        notes = "".join(f" _({_md(note)})_" for note in item.notes)
        out.append(f"- **{_md(item.label)}**: {_md(item.message)}{code}{notes}")
        if item.verification:
            out.append("\n  ```text\n" + "".join(f"  {v}\n" for v in item.verification) + "  ```")
    if more:
        out.append(f"- _{_md(more)}_")
    together = verification_summary(profile)
    if together:
        out.append(f"- {_md(together)}")
    return [*out, ""] if out else []


def queries_table_markdown(rows: list[QueryRow]) -> list[str]:
    """The queries as markdown table lines (none when there are no rows)."""
    if not rows:
        return []
    out = ["| # | start ms | ms | line | SQL |", "|--:|--:|--:|:--|:--|"]
    out += [
        f"| {r.number} | {r.start_ms} | {r.duration_ms} | {_md(r.rendered or r.line)} "
        f"| `{_md(r.sql)}` |"
        for r in rows
    ]
    return out


def render_markdown(profile: Profile) -> str:
    """The summary in bold, a list of findings and a markdown table of the query shapes."""
    out = [f"**{_md(summary_line(profile))}**", "", *findings_markdown(profile)]
    out += table_text(profile, markdown=True)
    if profile.cache_call_count:
        out += ["", cache_section_markdown(profile)]
    plans = plans_text(profile.plans, profile.explain_errors)
    if plans:
        out += ["", "```text", plans, "```"]
    return "\n".join(out)
