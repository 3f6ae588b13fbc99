"""The timeline, the charts and their text renderings, on hand-built profiles (no database)."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.io as pio
import pytest

from kit.render.charts import render_breakdown
from kit.render.marks import duplicate_count, duplicate_ids, n_plus_one_groups
from kit.render.shapes import shape_stats
from kit.render.textcharts import breakdown_markdown, timeline_text
from kit.render.timeline import MAX_LANES, render_timeline
from tests.profiles import (
    AUTHOR_SQL,
    COUNT_SQL,
    POSTS_SQL,
    fixed_profile,
    make_profile,
    n_plus_one_profile,
    record,
)


def test_each_query_is_a_bar_at_its_start_as_long_as_its_duration():
    profile = fixed_profile()
    fig = render_timeline(profile)
    (posts_trace, author_trace, count_trace) = fig.data
    # The marker sits mid-bar; the symmetric error bar is the query's whole duration.
    assert posts_trace.x.tolist() == [2.5]
    assert posts_trace.error_x.array.tolist() == [1.5]
    start = posts_trace.x - posts_trace.error_x.array
    assert start.tolist() == [1.0]
    assert author_trace.x.tolist() == [5.25] and count_trace.x.tolist() == [6.25]


def test_one_row_per_query_shape_in_first_seen_order_each_its_own_colour():
    fig = render_timeline(n_plus_one_profile(posts=4))
    assert [t.name for t in fig.data] == [
        "#1 SELECT blog_post",
        "#2 SELECT auth_user",
        "#3 SELECT blog_comment",
    ]
    assert [t.y.tolist() for t in fig.data] == [[0], [1, 1, 1, 1], [2]]
    colors = [t.marker.color for t in fig.data]
    assert len(set(colors)) == 3
    assert fig.layout.yaxis.ticktext == tuple(t.name for t in fig.data)


def test_the_axis_is_the_cells_wall_clock():
    profile = fixed_profile()
    profile._wall_time_ms = 40.0  # the cell ran Python for a while after its last query
    fig = render_timeline(profile)
    assert fig.layout.xaxis.range == (0, 40.0)
    assert "40.0 ms, wall clock" in fig.layout.title.text


def test_n_plus_one_groups_are_boxed_and_labelled():
    fig = render_timeline(n_plus_one_profile(posts=5))
    (box,) = fig.layout.shapes
    assert (box.x0, box.x1) == (4.0, 12.5)  # first author query's start to the last one's end
    assert box.y0 < 1 < box.y1
    (note,) = fig.layout.annotations
    assert note.text == "N+1 ×5: auth_user, line 3"
    # In the right margin, outside the plot: never over a bar or a row name.
    assert (note.xref, note.x, note.xanchor) == ("paper", 1.0, "left")
    assert fig.layout.margin.r > 150


def test_no_box_without_an_n_plus_one_group():
    fig = render_timeline(fixed_profile())
    assert fig.layout.shapes == () and fig.layout.annotations == ()


def test_hover_gives_sql_cell_line_and_duration():
    fig = render_timeline(n_plus_one_profile(posts=3))
    authors = fig.data[1]
    # Plain quotes: plotly shows an &quot; entity as typed.
    assert 'FROM<br>"auth_user" WHERE' in authors.hovertemplate
    assert "&quot;" not in authors.hovertemplate
    # One line behind the whole row: said once, not per query; no per-query text at all.
    assert "ms, line 3<br>" in authors.hovertemplate and authors.text is None
    number, start, duration = authors.customdata[0].tolist()
    assert (number, start, duration) == (2, 4.0, 0.5)
    assert "%{customdata[2]:.2f} ms" in authors.hovertemplate


def test_a_row_from_several_lines_gives_each_querys_line():
    records = [record(i, AUTHOR_SQL, (i,), start_ms=2.0 * i, line=3 + i % 2) for i in range(4)]
    (trace,) = render_timeline(make_profile(records)).data
    assert trace.customdata[:, 3].tolist() == [3, 4, 3, 4]
    assert "line %{customdata[3]}" in trace.hovertemplate


def test_a_figure_carries_no_template():
    text = pio.to_json(render_timeline(n_plus_one_profile(posts=3)), validate=False)
    # plotly_white would add 6.5 KB to each figure: its look is in a few settings instead.
    assert json.loads(text)["layout"].get("template") in (None, {}) and len(text) < 6_000


def test_the_sql_is_in_the_figure_once_per_shape_not_once_per_query():
    profile = n_plus_one_profile(posts=200)
    text = pio.to_json(render_timeline(profile), validate=False)
    assert text.count("LIMIT 21") == 1
    # Per-query numbers travel as typed arrays, not as JSON lists of floats.
    assert '"bdata"' in text


def test_past_the_detail_limit_each_row_is_drawn_as_time_bins_and_says_so():
    profile = n_plus_one_profile(posts=500)
    fig = render_timeline(profile, detail_limit=100)
    authors = fig.data[1]
    assert len(authors.x) <= 200  # bins, not queries
    assert authors.customdata[:, 0].sum() == 500  # every query is in one bin
    assert np.isclose(authors.customdata[:, 1].sum(), 250.0)  # and its time too
    assert "time bins" in fig.layout.title.subtitle.text
    assert "502 queries, more than 100" in fig.layout.title.subtitle.text
    assert "time bins" not in render_timeline(profile).layout.title.subtitle.text


def test_past_max_lanes_the_least_costly_shapes_share_a_row():
    records = [
        record(i, f'SELECT "t{i}"."id" FROM "t{i}"', start_ms=i, duration_ms=1.0 + i, line=2)
        for i in range(MAX_LANES + 5)
    ]
    fig = render_timeline(make_profile(records))
    assert len(fig.data) == MAX_LANES
    assert fig.data[-1].name == "6 other shapes"
    assert len(fig.data[-1].x) == 6
    assert fig.data[0].name == "#7 SELECT t6"  # the six cheapest shapes went to "other"


def test_breakdown_counts_and_times_by_shape_and_by_table():
    fig = render_breakdown(n_plus_one_profile(posts=4))
    by_shape_count, by_shape_ms, by_table_count, by_table_ms = fig.data
    assert by_shape_count.y == (
        "#2 SELECT auth_user",
        "#1 SELECT blog_post",
        "#3 SELECT blog_comment",
    )
    assert by_shape_count.x == (4, 1, 1)
    assert by_shape_ms.x == (2.0, 2.0, 0.5)
    assert dict(zip(by_table_count.y, by_table_count.x, strict=True)) == {
        "auth_user": 4,
        "blog_post": 1,
        "blog_comment": 1,
    }
    assert by_table_ms.x[0] == 2.0
    # The same shape has the same colour here and on the timeline.
    timeline = render_timeline(n_plus_one_profile(posts=4))
    assert by_shape_count.marker.color[0] == timeline.data[1].marker.color


def test_timeline_text_has_a_row_per_shape_and_names_the_n_plus_one_group():
    profile = n_plus_one_profile(posts=5)
    text = timeline_text(profile, shape_stats(profile), n_plus_one_groups(profile))
    lines = text.splitlines()
    assert lines[0].startswith("Timeline: 7 queries in ")
    assert re.match(r"#2 SELECT auth_user +\|[ █▁-▇]{60}\| +5 +2\.5 ms$", lines[2])
    assert "█" in text or "▁" in text
    assert lines[-1] == "N+1 groups: auth_user, line 3 (5 queries)"


def test_breakdown_markdown_is_two_tables():
    profile = n_plus_one_profile(posts=5)
    text = breakdown_markdown(profile, shape_stats(profile))
    assert "| #2 SELECT auth_user | 5 | 2.5 | 0.50 | 0.50 | 3 |" in text
    assert "| auth_user | 5 | 2.5 |" in text


@pytest.mark.parametrize(
    ("params", "expected_groups", "expected_duplicates"),
    [
        ([(1,), (2,), (3,)], 3, 0),  # three authors from one line: N+1
        ([(1,), (2,)], 0, 0),  # two are not a group
        ([(1,), (1,), (1,)], 0, 2),  # the same query three times: duplicates, not N+1
        ([(1,), (1,), (2,)], 3, 1),  # both
    ],
)
def test_stand_in_marks(params, expected_groups, expected_duplicates):
    records = [record(i, AUTHOR_SQL, p, start_ms=i, line=3) for i, p in enumerate(params)]
    profile = make_profile(records)
    assert len(n_plus_one_groups(profile)) == expected_groups
    assert duplicate_count(profile) == expected_duplicates == len(duplicate_ids(profile))


def test_one_line_in_two_places_is_two_groups():
    records = [record(i, AUTHOR_SQL, (i,), start_ms=i, line=3) for i in range(3)]
    records += [record(i + 3, AUTHOR_SQL, (i,), start_ms=i + 3, line=5) for i in range(3)]
    records.append(record(6, POSTS_SQL, start_ms=7, line=2))
    records.append(record(7, COUNT_SQL, start_ms=8, line=2))
    groups = n_plus_one_groups(make_profile(records))
    assert sorted(set(groups.values())) == ["auth_user, line 3", "auth_user, line 5"]


def test_a_time_beyond_float32_is_kept_exact_not_overflowed(recwarn):
    """The bars are float32 (half the bytes); a time beyond its range (a hand-edited profile
    file) keeps the figure's numbers as float64 rather than overflowing to infinity."""
    import warnings

    usual = render_timeline(fixed_profile())
    assert all(trace.x.dtype == np.float32 for trace in usual.data)
    huge = make_profile(
        [record(0, POSTS_SQL, start_ms=1.0), record(1, COUNT_SQL, start_ms=1e39, duration_ms=2.0)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in cast" fails here
        fig = render_timeline(huge)
    xs = [x for trace in fig.data if trace.x is not None for x in trace.x]
    assert np.isfinite(xs).all() and max(xs) == pytest.approx(1e39 + 1.0)
