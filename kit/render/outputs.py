"""What %%orm_profile shows: summary, findings, comparison, timeline, charts, table, plans.

Each part is its own notebook output, so every figure carries its own PNG or text fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import TYPE_CHECKING, Any

from kit.profiles.profile import Profile
from kit.render.cache_tables import CacheOutput
from kit.render.html import render_findings
from kit.render.marks import n_plus_one_groups
from kit.render.rows import summary_line
from kit.render.table_html import render_table_section_html
from kit.render.text import findings_text, table_text

if TYPE_CHECKING:
    from kit.render.compare import Comparison
    from kit.render.figures import FigureOutput
    from kit.render.shapes import ShapeStats

DETAIL_LIMIT = 5_000
# The charts by shape and table from this many query shapes on.
CHART_MIN_SHAPES = 3


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


@dataclass
class SummaryOutput:
    """The summary line, then the findings with their fixes (findings=False: the line alone).

    HTML and text: a markdown copy too would only make the notebook bigger.
    """

    profile: Profile
    findings: bool = False

    def _repr_html_(self) -> str:
        html = f"<p><strong>{escape(summary_line(self.profile))}</strong></p>"
        return html + (render_findings(self.profile) if self.findings else "")

    def __repr__(self) -> str:
        findings = findings_text(self.profile) if self.findings else []
        return "\n".join([summary_line(self.profile), *findings])


@dataclass
class QueriesOutput:
    """The query table (by shape unless --rows N) and a footer saying what it leaves out.

    HTML for every viewer, and a short text copy: no markdown copy of the same table (a
    notebook saves every copy). Both come from rows made once.
    """

    profile: Profile
    shapes: list[ShapeStats] | None = None

    @cached_property
    def _html(self) -> str:
        return render_table_section_html(self.profile, self.shapes)

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return "\n".join(table_text(self.profile, shapes=self.shapes))


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
    parts = [SummaryOutput(profile, findings=options.findings)]
    if comparison is not None:
        parts += comparison.outputs(static_images=options.static_images)
    has_queries = bool(profile.query_count)
    shapes = shape_stats(profile) if has_queries else []
    if options.timeline and (profile.queries or profile.cache_calls):
        parts.append(timeline_output(profile, shapes, groups, options))
    # With one or two shapes the chart would repeat the table's rows below it.
    if options.charts and len(shapes) >= CHART_MIN_SHAPES:
        parts.append(breakdown_output(profile, shapes, options))
    if options.charts and profile.cache_call_count:
        parts.append(CacheOutput(profile))
    if options.table and has_queries:
        parts.append(QueriesOutput(profile, shapes))
    return parts + plan_outputs(profile, options)


def plan_outputs(profile: Profile, options: OutputOptions = OutputOptions()) -> list[Any]:
    """The EXPLAIN plans (--explain): the text trees with their findings, then the figure."""
    from kit.render.plan_figure import PlanFigure
    from kit.render.plans import PlanReport

    if not profile.plans and not profile.explain_errors:
        return []
    parts: list[Any] = [PlanReport(profile.plans, profile.explain_errors)]
    if profile.plans:
        parts.append(PlanFigure.of(profile.plans, options.static_images))
    return parts
