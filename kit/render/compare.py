"""Two profiles side by side: queries, database time, wall time, duplicates, N+1 groups, and
the cache's calls, hits and misses when either made cache calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from kit.profiles.profile import Profile
from kit.render.marks import duplicate_count

if TYPE_CHECKING:
    import plotly.graph_objects as go

BETTER = "#2e7d32"
WORSE = "#c62828"
SAME = "#9e9e9e"
# Bars past this many percent are cut (their label still gives the real numbers).
CHART_LIMIT = 300.0


@dataclass(frozen=True)
class Metric:
    """One compared number; less is better unless higher_is_better (cache hits)."""

    name: str
    before: float
    after: float
    unit: str = ""
    digits: int = 0
    higher_is_better: bool = False

    @property
    def improved(self) -> bool:
        """True when the number moved the better way."""
        return self.delta > 0 if self.higher_is_better else self.delta < 0

    def format(self, value: float) -> str:
        """The value with thousands separators and its unit."""
        return f"{value:,.{self.digits}f}{' ' + self.unit if self.unit else ''}"

    @property
    def delta(self) -> float:
        """after - before."""
        return self.after - self.before

    @property
    def change_percent(self) -> float | None:
        """The change as a percentage of before (None when before is 0 and after is not)."""
        if self.before == 0:
            return 0.0 if self.after == 0 else None
        return 100.0 * self.delta / self.before

    @property
    def change(self) -> str:
        """The change in words: "−1,198 (−99.8%)", "+2 (new)", "no change"."""
        if self.delta == 0:
            return "no change"
        sign = "+" if self.delta > 0 else "−"
        percent = self.change_percent
        share = "new" if percent is None else f"{sign}{abs(percent):,.1f}%"
        return f"{sign}{self.format(abs(self.delta))} ({share})"


def _groups(profile: Profile) -> int:
    return len(profile.n_plus_one)


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
            Metric("database time", b.db_time_ms, a.db_time_ms, "ms", 1),
            Metric("wall time", b.wall_time_ms, a.wall_time_ms, "ms", 1),
            Metric("duplicate queries", duplicate_count(b), duplicate_count(a)),
            Metric("N+1 groups", _groups(b), _groups(a)),
        ]
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

    def _rows(self) -> list[tuple[str, str, str, str]]:
        return [(m.name, m.format(m.before), m.format(m.after), m.change) for m in self.metrics]

    def _repr_html_(self) -> str:
        before, after = map(escape, self.names)
        head = f"<tr><th></th><th>{before}</th><th>{after}</th><th>change</th></tr>"
        body = "".join(
            f'<tr><td>{escape(n)}</td><td align="right">{escape(b)}</td>'
            f'<td align="right">{escape(a)}</td><td align="right">{escape(c)}</td></tr>'
            for n, b, a, c in self._rows()
        )
        title = f"<p><strong>{before} → {after}</strong></p>"
        return f"<div>{title}<table><thead>{head}</thead><tbody>{body}</tbody></table></div>"

    def _repr_markdown_(self) -> str:
        before, after = (n.replace("|", "\\|") for n in self.names)
        lines = [f"**{before} → {after}**", "", f"| | {before} | {after} | change |"]
        lines.append("|:--|--:|--:|--:|")
        lines += [f"| {n} | {b} | {a} | {c} |" for n, b, a, c in self._rows()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        before, after = self.names
        rows = [("", before, after, "change"), *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"{before} → {after}"]
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def figure(self) -> go.Figure:
        """The delta chart: each number's change in percent of before, green when it fell."""
        import plotly.graph_objects as go

        values, colors, labels = [], [], []
        for m in self.metrics:
            percent = m.change_percent
            value = CHART_LIMIT if percent is None else max(-100.0, min(percent, CHART_LIMIT))
            values.append(round(value, 2))
            colors.append(SAME if m.delta == 0 else BETTER if m.improved else WORSE)
            labels.append(f"{m.format(m.before)} → {m.format(m.after)}  ({m.change})")
        before, after = self.names
        fig = go.Figure(
            go.Bar(
                x=values,
                y=[m.name for m in self.metrics],
                orientation="h",
                marker={"color": colors},
                text=labels,
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra></extra>",
            )
        )
        fig.update_layout(
            template="plotly_white",
            title={"text": f"{before} → {after}: change in % of {before}"},
            width=960,
            height=170 + 30 * len(self.metrics),
            margin={"l": 10, "r": 40, "t": 60, "b": 40},
            xaxis={"range": [-130, CHART_LIMIT + 30], "ticksuffix": "%", "zeroline": True},
            yaxis={"autorange": "reversed", "automargin": True},
        )
        return fig

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
