"""kit.compare() and %%orm_profile --compare: two profiles side by side with a delta chart."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import kit
from kit.render import figures
from kit.render.compare import BETTER, SAME, Comparison, ComparisonTable
from kit.render.figures import PLOTLY_MIME, FigureOutput, PngExporter
from tests.profiles import fixed_profile, n_plus_one_profile


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setattr(figures, "find_browser", lambda: None)
    monkeypatch.setattr(figures, "_exporter", PngExporter())


RIGHT_CELL = '<td align="right" style="text-align:right;vertical-align:top">'


def test_compare_gives_each_number_before_after_and_change():
    comparison = kit.compare(n_plus_one_profile(posts=5), fixed_profile())
    rows = {m.name: (m.before, m.after, m.change) for m in comparison.metrics}
    assert rows["queries"] == (7, 3, "−4 (−57.1%)")
    assert rows["database time"][:2] == (5.0, 4.0)
    assert rows["duplicate queries"] == (0, 0, "no change")
    assert rows["N+1 groups"] == (1, 0, "−1 (−100.0%)")
    assert set(rows) == {
        "queries",
        "database time",
        "wall time",
        "duplicate queries",
        "N+1 groups",
    }


def test_a_number_that_appears_is_new():
    comparison = kit.compare(fixed_profile(), n_plus_one_profile(posts=5))
    groups = next(m for m in comparison.metrics if m.name == "N+1 groups")
    assert groups.change == "+1 (new)"


def test_comparison_reads_as_html_markdown_and_text_with_the_profiles_names():
    comparison = kit.compare(n_plus_one_profile(name="slow"), fixed_profile(name="fast"))
    html = comparison._repr_html_()
    assert ">slow</th>" in html and ">fast</th>" in html and ">change</th>" in html
    # Names and words left-aligned, numbers right-aligned: JupyterLab's stylesheet
    # right-aligns every cell unless a style says otherwise.
    assert '<th style="text-align:left;vertical-align:top">change</th>' in html
    assert (
        '<td style="text-align:left;vertical-align:top">queries</td>'
        f"{RIGHT_CELL}7</td>{RIGHT_CELL}3</td>" in html
    )
    assert "| queries | 7 | 3 | −4 (−57.1%) |" in comparison._repr_markdown_()
    lines = repr(comparison).splitlines()
    assert lines[0] == "slow → fast"
    assert lines[2].split() == ["queries", "7", "3", "−4", "(−57.1%)"]


def test_delta_chart_shows_the_change_in_percent_green_when_it_fell():
    fig = kit.compare(n_plus_one_profile(posts=5), fixed_profile()).figure()
    (bars,) = fig.data
    values = dict(zip(bars.y, bars.x, strict=True))
    assert values["queries"] == pytest.approx(-57.14, abs=0.01)
    assert values["N+1 groups"] == -100.0
    colors = dict(zip(bars.y, bars.marker.color, strict=True))
    assert colors["queries"] == BETTER and colors["duplicate queries"] == SAME
    words = {a.y: a.text for a in fig.layout.annotations}
    assert words["queries"] == "7 → 3: −4 (−57.1%)"
    # The words have a column of their own, right of the plot: never over a bar or a name.
    assert {(a.xref, a.x, a.xanchor) for a in fig.layout.annotations} == {("paper", 1.0, "left")}
    # The axis spans the data: every change fell, so it does not run into the positives.
    low, high = fig.layout.xaxis.range
    assert low < -100 and 0 <= high < 15


def test_compare_refuses_what_is_not_a_profile():
    with pytest.raises(TypeError, match="after is int"):
        kit.compare(fixed_profile(), 3)


def test_comparison_in_a_notebook_shows_its_table_then_its_chart(ip_shell, no_browser):
    ip_shell.user_ns.update(slow=n_plus_one_profile(name="slow"), fast=fixed_profile())
    with capture_output() as captured:
        ip_shell.run_cell("import kit\nkit.compare(slow, fast)").raise_error()
    table, chart = captured.outputs
    assert ">slow</th>" in table.data["text/html"]
    assert "change in % of slow" in chart.data[PLOTLY_MIME]["layout"]["title"]["text"]
    assert "| queries | 7 | 3 |" in chart.data["text/markdown"]


@pytest.mark.django_db
def test_compare_option_shows_both_profiles_after_the_summary(ip_shell, no_browser):
    loop = (
        "from sample_app.blog.models import Post\n"
        "names = [p.author.username for p in Post.objects.order_by('pk')[:5]]\n"
    )
    ip_shell.run_cell("%%orm_profile -o before --quiet\n" + loop).raise_error()
    fixed = loop.replace("Post.objects", "Post.objects.select_related('author')")
    with capture_output() as captured:
        ip_shell.run_cell("%%orm_profile -o after --compare before\n" + fixed).raise_error()
    summary, table, chart, *rest = captured.outputs
    assert summary.data["text/plain"].startswith("after: 1 query · ")
    assert (
        '<td style="text-align:left;vertical-align:top">queries</td>'
        f"{RIGHT_CELL}6</td>{RIGHT_CELL}1</td>" in (table.data["text/html"])
    )
    assert "before → after" in chart.data[PLOTLY_MIME]["layout"]["title"]["text"]
    assert len(rest) == 2  # timeline, table (one query shape: no chart to repeat its row)
    assert isinstance(ip_shell.user_ns["after"], kit.Profile)


@pytest.mark.django_db
def test_quiet_compare_shows_the_summary_and_the_table(ip_shell):
    ip_shell.user_ns["base"] = fixed_profile()
    with capture_output() as captured:
        ip_shell.run_cell("%%orm_profile --quiet --compare base\nx = 1\n").raise_error()
    summary, table = captured.outputs
    assert summary.data["text/plain"].startswith("0 queries")
    assert ">before</th>" in table.data["text/html"] and ">after</th>" in table.data["text/html"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("", "no profile named 'missing' in this notebook. No profile is kept yet. Keep one"),
        ("missing = 42", "'missing' is not a profile (it is a int)"),
        (
            "from tests.profiles import fixed_profile as f\nmising, other = f(), f()",
            "no profile named 'missing' in this notebook. Did you mean mising? Profiles kept: "
            "mising, other. Keep one with %%orm_profile -o missing.",
        ),
    ],
)
@pytest.mark.django_db
def test_compare_with_no_such_profile_is_one_clear_line_and_the_cell_does_not_run(
    ip_shell, setup, message
):
    # The profiles earlier tests kept in this shell are set aside: the message lists them all.
    kept = {k: v for k, v in ip_shell.user_ns.items() if isinstance(v, kit.Profile)}
    for name in ("missing", "mising", "other", *kept):
        ip_shell.user_ns.pop(name, None)
    ip_shell.run_cell(setup).raise_error()
    result = ip_shell.run_cell("%%orm_profile --compare missing\nran = True\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec)
    assert "ran" not in ip_shell.user_ns
    for name in ("missing", "mising", "other"):
        ip_shell.user_ns.pop(name, None)
    ip_shell.user_ns.update(kept)


def test_outputs_are_the_table_then_a_figure():
    comparison = Comparison(n_plus_one_profile(), fixed_profile())
    table, chart = comparison.outputs(static_images=False)
    assert isinstance(table, ComparisonTable) and isinstance(chart, FigureOutput)
    assert comparison.outputs(chart=False) == [ComparisonTable(comparison)]
