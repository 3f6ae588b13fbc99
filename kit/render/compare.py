"""Two profiles side by side: queries, database time, wall time, duplicates, N+1 groups, and
the cache's calls, hits and misses when either made cache calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from kit.analysis.verification import describe
from kit.profiles.profile import Profile
from kit.render.compare_metric import BETTER, SAME, WORSE, Metric
from kit.render.marks import duplicate_count
from kit.render.markup import RIGHT, cell

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["BETTER", "SAME", "WORSE", "Comparison", "ComparisonTable", "Metric", "compare"]


def _groups(profile: Profile) -> int:
    return len(profile.n_plus_one)


def _with_fixes(profile: Profile) -> int:
    """The queries the replay ran with all fixes together, else with its best verified fix;
    the profile's own count without one."""
    verified = [v for v in profile.verifications if v.verified and v.queries_after is not None]
    together = [v.queries_after for v in verified if v.finding is None]
    if together:
        return together[0] or 0
    return min((v.queries_after or 0 for v in verified), default=profile.query_count)


def _times(before: Profile, after: Profile) -> list[Metric]:
    """Database and wall time: medians and their spread when both sides ran --repeat."""
    b, a = before.runs, after.runs
    if b is None or a is None:
        return [
            Metric("database time", before.db_time_ms, after.db_time_ms, "ms", 1),
            Metric("wall time", before.wall_time_ms, after.wall_time_ms, "ms", 1),
        ]
    db_spread = max(b.spread_db_ms, a.spread_db_ms)
    wall_spread = max(b.spread_wall_ms, a.spread_wall_ms)
    return [
        Metric("database time", b.median_db_ms, a.median_db_ms, "ms", 1, spread=db_spread),
        Metric("wall time", b.median_wall_ms, a.median_wall_ms, "ms", 1, spread=wall_spread),
    ]


@dataclass
class Comparison:
    """Before and after: a table with the change in each number, and a delta chart."""

    before: Profile
    after: Profile
    metrics: list[Metric] = field(init=False)

    def __post_init__(self) -> None:
        b, a = self.before, self.after
        self.metrics = [
            Metric("queries", b.query_count, a.query_count),
            *_times(b, a),
            Metric("duplicate queries", duplicate_count(b), duplicate_count(a)),
            Metric("N+1 groups", _groups(b), _groups(a)),
        ]
        if b.verifications or a.verifications:
            # What --verify measured: the queries each cell would run with its verified fixes.
            self.metrics.append(
                Metric("queries with verified fixes", _with_fixes(b), _with_fixes(a))
            )
        if b.cache_call_count or a.cache_call_count:
            before, after = b.cache_totals, a.cache_totals
            self.metrics += [
                Metric("cache calls", before.calls, after.calls),
                Metric("cache hits", before.hits, after.hits, higher_is_better=True),
                Metric("cache misses", before.misses, after.misses),
            ]

    @property
    def names(self) -> tuple[str, str]:
        """The two profiles' names (their -o/--name), else "before" and "after"."""
        return self.before.name or "before", self.after.name or "after"

    def verification_lines(self) -> list[str]:
        """Each side's replayed fixes (--verify), one line each: "before: verified: ..."."""
        return [
            f"{name}{'' if v.finding else ', all fixes together'}: {describe(v).splitlines()[0]}"
            for name, profile in zip(self.names, (self.before, self.after), strict=True)
            for v in profile.verifications
        ]

    def _rows(self) -> list[tuple[str, str, str, str]]:
        return [(m.label, m.format(m.before), m.format(m.after), m.change) for m in self.metrics]

    def _repr_html_(self) -> str:
        before, after = map(escape, self.names)
        head = (
            f"<tr>{cell('', 'th')}{cell(before, 'th', RIGHT)}{cell(after, 'th', RIGHT)}"
            f"{cell('change', 'th')}</tr>"
        )
        body = "".join(
            f"<tr>{cell(escape(n))}{cell(escape(b), align=RIGHT)}{cell(escape(a), align=RIGHT)}"
            f"{cell(escape(c))}</tr>"
            for n, b, a, c in self._rows()
        )
        title = f"<p><strong>{before} → {after}</strong></p>"
        checks = "".join(f"<li>{escape(line)}</li>" for line in self.verification_lines())
        checks = f"<p>Fixes replayed (--verify):</p><ul>{checks}</ul>" if checks else ""
        table = f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"
        return f"<div>{title}{table}{checks}</div>"

    def _repr_markdown_(self) -> str:
        before, after = (n.replace("|", "\\|") for n in self.names)
        lines = [f"**{before} → {after}**", "", f"| | {before} | {after} | change |"]
        lines.append("|:--|--:|--:|:--|")
        lines += [f"| {n} | {b} | {a} | {c} |" for n, b, a, c in self._rows()]
        checks = self.verification_lines()
        if checks:
            lines += ["", "Fixes replayed (--verify):", *(f"- {line}" for line in checks)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        before, after = self.names
        rows = [("", before, after, "change"), *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"{before} → {after}"]
        for row in rows:
            cells = [
                row[0].ljust(widths[0]),
                row[1].rjust(widths[1]),
                row[2].rjust(widths[2]),
                row[3],
            ]
            lines.append("  ".join(cells).rstrip())
        checks = self.verification_lines()
        if checks:
            lines += ["Fixes replayed (--verify):", *(f"- {line}" for line in checks)]
        return "\n".join(lines)

    def figure(self) -> go.Figure:
        """The delta chart: each number's change in percent of before, green when it fell."""
        from kit.render.compare_chart import delta_chart

        return delta_chart(self.metrics, self.names)

    def outputs(self, *, chart: bool = True, static_images: bool = True) -> list[Any]:
        """What to display: the table, then the delta chart (PNG copy, or the table as text)."""
        if not chart:
            return [ComparisonTable(self)]
        from kit.render.figures import figure_output

        fig = figure_output(
            self.figure(), repr(self), self._repr_markdown_(), static_image=static_images
        )
        return [ComparisonTable(self), fig]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for part in self.outputs():
            display(part)


@dataclass
class ComparisonTable:
    """The comparison's table alone, as one output."""

    comparison: Comparison

    def _repr_html_(self) -> str:
        return self.comparison._repr_html_()

    def _repr_markdown_(self) -> str:
        return self.comparison._repr_markdown_()

    def __repr__(self) -> str:
        return repr(self.comparison)


def compare(before: Profile, after: Profile) -> Comparison:
    """Compare two profiles; in a notebook the result shows a table and a delta chart."""
    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, Profile):
            raise TypeError(f"kit.compare() needs two profiles; {name} is {type(value).__name__}.")
    return Comparison(before, after)
