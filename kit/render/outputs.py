"""What %%orm_profile shows, in order: summary, findings, comparison, timeline, charts, table.

Each part is its own notebook output, so every figure carries its own PNG or text fallback.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from kit.render.html import render_table_section_html
from kit.render.marks import duplicate_count, n_plus_one_groups
from kit.render.profile import Profile
from kit.render.rows import footer_line, query_rows, summary_line
from kit.render.text import queries_table_markdown, queries_table_text

if TYPE_CHECKING:
    from kit.render.compare import Comparison
    from kit.render.figures import FigureOutput
    from kit.render.shapes import ShapeStats

DETAIL_LIMIT = 5_000


@dataclass(frozen=True)
class OutputOptions:
    """Which parts to show; `quiet` shows the summary line alone."""

    findings: bool = True
    timeline: bool = True
    charts: bool = True
    table: bool = True
    quiet: bool = False
    static_images: bool = True
    detail_limit: int = DETAIL_LIMIT


def findings_lines(profile: Profile, groups: dict[int, str] | None = None) -> list[str]:
    """STAND-IN for issue 3's findings display: N+1 groups and duplicates, one line each."""
    sizes = Counter((n_plus_one_groups(profile) if groups is None else groups).values())
    lines = [f"N+1: {count:,} queries from {label}" for label, count in sizes.items()]
    duplicates = duplicate_count(profile)
    if duplicates:
        lines.append(f"Duplicates: {duplicates:,} queries repeat an earlier one exactly")
    return lines


@dataclass
class SummaryOutput:
    """The summary line, then the findings (none given: the summary line alone)."""

    profile: Profile
    findings: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        html = f"<p><strong>{escape(summary_line(self.profile))}</strong></p>"
        items = "".join(f"<li>{escape(line)}</li>" for line in self.findings)
        return html + (f"<ul>{items}</ul>" if items else "")

    def _repr_markdown_(self) -> str:
        lines = [f"**{summary_line(self.profile)}**"]
        if self.findings:
            lines += ["", *(f"- {line}" for line in self.findings)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "\n".join([summary_line(self.profile), *self.findings])


@dataclass
class QueriesOutput:
    """The query table (the profile's max_rows of it) and a footer saying what it leaves out."""

    profile: Profile

    def _repr_html_(self) -> str:
        return render_table_section_html(self.profile)

    def _repr_markdown_(self) -> str:
        rows = query_rows(self.profile)
        footer = footer_line(self.profile, len(rows))
        return "\n".join(queries_table_markdown(rows) + ([f"\n_{footer}_"] if footer else []))

    def __repr__(self) -> str:
        rows = query_rows(self.profile)
        footer = footer_line(self.profile, len(rows))
        return "\n".join(queries_table_text(rows) + ([footer] if footer else []))


def timeline_output(
    profile: Profile,
    shapes: list[ShapeStats],
    groups: dict[int, str],
    options: OutputOptions = OutputOptions(),
) -> FigureOutput:
    """The timeline figure with its PNG copy or its text rendering."""
    from kit.render.figures import figure_output
    from kit.render.textcharts import timeline_text
    from kit.render.timeline import render_timeline

    figure = render_timeline(
        profile, detail_limit=options.detail_limit, shapes=shapes, groups=groups
    )
    text = timeline_text(profile, shapes, groups)
    return figure_output(figure, text, f"```text\n{text}\n```", static_image=options.static_images)


def breakdown_output(
    profile: Profile, shapes: list[ShapeStats], options: OutputOptions = OutputOptions()
) -> FigureOutput:
    """Counts and time by shape and by table, with a PNG copy or markdown tables."""
    from kit.render.charts import render_breakdown
    from kit.render.figures import figure_output
    from kit.render.textcharts import breakdown_markdown, breakdown_text

    return figure_output(
        render_breakdown(profile, shapes=shapes),
        breakdown_text(profile, shapes),
        breakdown_markdown(profile, shapes),
        static_image=options.static_images,
    )


def profile_outputs(
    profile: Profile,
    options: OutputOptions = OutputOptions(),
    comparison: Comparison | None = None,
) -> list[Any]:
    """The objects to display(), in order, for a profile (and its comparison, if any)."""
    from kit.render.shapes import shape_stats

    if options.quiet:
        parts: list[Any] = [SummaryOutput(profile)]
        if comparison is not None:
            parts += comparison.outputs(chart=False)
        return parts
    groups = n_plus_one_groups(profile)
    findings = findings_lines(profile, groups) if options.findings else []
    parts = [SummaryOutput(profile, findings)]
    if comparison is not None:
        parts += comparison.outputs(static_images=options.static_images)
    has_queries = bool(profile.query_count)
    shapes = shape_stats(profile) if has_queries else []
    if options.timeline and profile.queries:
        parts.append(timeline_output(profile, shapes, groups, options))
    if options.charts and has_queries:
        parts.append(breakdown_output(profile, shapes, options))
    if options.table and has_queries:
        parts.append(QueriesOutput(profile))
    return parts
