"""The cache in what a profile shows: the summary line, the timeline's cache lanes, the table by
key pattern, the data frame, save/load, compare, the HTML report, and %%orm_profile's options."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape

import pytest
from django.test.utils import override_settings
from IPython.core.error import UsageError

import kit
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.profiles.profile import Profile
from kit.render.cache_tables import CacheOutput
from kit.render.compare import BETTER, SAME, WORSE, Comparison
from kit.render.outputs import OutputOptions, profile_outputs
from kit.render.report import render_report
from kit.render.rows import summary_line
from kit.render.textcharts import timeline_text
from kit.render.timeline import render_timeline
from tests.caches import LOCMEM, settings_for
from tests.profiles import AUTHOR_SQL, CELL, record
from tests.test_magic import all_html, run

STARTED = datetime(2026, 1, 2, tzinfo=UTC)


def call(id: int, op: str, *keys: str, hit=None, start_ms: float, alias="default", **fields):
    return CacheRecord(
        id=id,
        op=op,
        alias=alias,
        backend="LocMemCache",
        keys=keys,
        versioned_keys=tuple(f":1:{k}" for k in keys),
        hit=hit,
        start_ms=start_ms,
        duration_ms=0.25,
        thread="MainThread",
        source_file=CELL,
        source_lineno=2,
        line=2,
        **fields,
    )


CALLS = [
    call(0, "get", "user_dashboard_1", hit=(False,), start_ms=1.0),
    call(1, "set", "user_dashboard_1", start_ms=3.0),
    call(2, "get", "user_dashboard_1", hit=(True,), start_ms=4.0),
    call(3, "get_many", "user_dashboard_2", "popular_posts_v2", hit=(True, False), start_ms=5.0),
]


def cache_profile(calls=CALLS, queries=None, **fields) -> Profile:
    queries = (
        queries if queries is not None else [record(0, AUTHOR_SQL, (1,), start_ms=2.0, line=3)]
    )
    return Profile.of_records(
        queries,
        started_at=STARTED,
        wall_time_ms=10.0,
        cell_filename=CELL,
        cache_calls=calls,
        **fields,
    )


def test_summary_line_adds_the_cache_when_there_were_calls():
    assert summary_line(cache_profile(name="p")) == (
        "p: 1 query · 0.5 ms in the database · 10.0 ms wall time · sqlite · 4 cache calls, "
        "2 hits, 2 misses, 1.0 ms"
    )
    one = cache_profile(calls=[CALLS[2]], queries=[])
    assert (
        summary_line(one) == "0 queries · 0.0 ms in the database · 10.0 ms wall time · "
        "1 cache call, 1 hit, 0 misses, 0.2 ms"
    )
    assert "cache" not in summary_line(cache_profile(calls=[]))


def test_outputs_include_the_cache_table_and_a_timeline_without_queries():
    parts = profile_outputs(cache_profile(), OutputOptions(static_images=False))
    # One query shape: no chart by shape (it would repeat the table's one row).
    assert [type(p).__name__ for p in parts] == [
        "SummaryOutput", "FigureOutput", "CacheOutput", "QueriesOutput"
    ]  # fmt: skip
    only_cache = profile_outputs(cache_profile(queries=[]), OutputOptions(static_images=False))
    assert [type(p).__name__ for p in only_cache] == [
        "SummaryOutput",
        "FigureOutput",
        "CacheOutput",
    ]
    no_charts = profile_outputs(cache_profile(), OutputOptions(charts=False, static_images=False))
    assert "CacheOutput" not in [type(p).__name__ for p in no_charts]
    quiet = profile_outputs(cache_profile(), OutputOptions(quiet=True))
    assert [type(p).__name__ for p in quiet] == ["SummaryOutput"]


def test_cache_table_by_key_pattern():
    output = CacheOutput(cache_profile())
    title, header, *rows = repr(output).splitlines()
    assert title == "Cache calls by key pattern (4 cache calls, 2 hits, 2 misses, 1.0 ms):"
    assert " ".join(header.split()) == (
        "key pattern calls hits misses hit rate ms cell lines operations"
    )
    assert [" ".join(row.split()) for row in rows] == [
        "user_dashboard_{n} 3 1 1 50% 0.8 2 get ×2, set ×1",
        "user_dashboard_{n}, popular_posts_v2 1 1 1 50% 0.2 2 get_many ×1",
    ]
    # Fixed width: the numbers end where their header does.
    assert {row.index("50%") + 3 for row in rows} == {header.index("hit rate") + 8}
    html = output._repr_html_()
    assert "<td>user_dashboard_{n}</td>" in html and '<td align="right">50%</td>' in html
    assert "| key pattern | calls |" in output.markdown()
    other = cache_profile(
        calls=[*CALLS, call(4, "get", "x", hit=(True,), start_ms=6.0, alias="other")]
    )
    assert repr(CacheOutput(other)).splitlines()[1].startswith("key pattern  ")
    assert " alias " in repr(CacheOutput(other)).splitlines()[1]


def test_timeline_draws_cache_lanes_with_their_own_legend_and_hover():
    profile = cache_profile()
    fig = render_timeline(profile)
    cache_traces = [t for t in fig.data if t.meta == "cache"]
    assert [t.name for t in cache_traces] == ["cache hit", "cache miss", "cache set"]
    assert all(t.showlegend for t in cache_traces)
    assert not any(t.showlegend for t in fig.data if t.meta != "cache")
    assert fig.layout.showlegend is True
    assert list(fig.layout.yaxis.ticktext) == ["#1 SELECT auth_user", "cache: default"]
    assert {int(y) for t in cache_traces for y in t.y} == {1}
    miss = cache_traces[1]
    assert len(miss.x) == 2 and "'user_dashboard_2', 'popular_posts_v2'" in unescape(miss.text[1])
    assert "1/2 found" in miss.text[1] and "cell line 2" in miss.text[1]
    assert fig.layout.title.text.startswith("Timeline: 1 query, 4 cache calls in")
    binned = render_timeline(profile, detail_limit=2)
    assert all(t.customdata is not None for t in binned.data if t.meta == "cache")
    text = timeline_text(profile, [], {})
    (row,) = [line for line in text.splitlines() if line.startswith("cache: default")]
    assert row.endswith("4        1.0 ms (2 hits, 2 misses)")


def test_cache_dataframe_has_one_row_per_call():
    frame = cache_profile().cache_dataframe()
    assert frame.index.name == "call" and list(frame.index) == [1, 2, 3, 4]
    row = frame.loc[4]
    assert row["op"] == "get_many" and row["pattern"] == "user_dashboard_{n}, popular_posts_v2"
    assert row["hit"] == (True, False) and (row["hits"], row["misses"]) == (1, 1)
    assert row["versioned_keys"] == (":1:user_dashboard_2", ":1:popular_posts_v2")
    assert frame["line"].dtype.name == "Int64" and frame.loc[2, "hit"] is None


def test_save_load_and_pickle_keep_the_cache_calls(tmp_path):
    profile = cache_profile(
        calls=[*CALLS, replace(CALLS[0], id=4, computed_ms=(1.5, 2.0), vary_on=("'a'",))],
        cache_call_count=9,
        cache_counters=[CacheCounter("default", "get", "user_{n}", 4, 1, 3, 2.0, 0.9)],
    )
    loaded = kit.load(profile.save(tmp_path / "p.json"))
    assert loaded.cache_calls == profile.cache_calls
    assert loaded.cache_call_count == 9 and loaded.cache_overflow == profile.cache_overflow
    assert loaded.cache_totals == profile.cache_totals
    assert [f.kind for f in loaded.findings] == [f.kind for f in profile.findings]
    copied = pickle.loads(pickle.dumps(profile))
    assert copied.cache_calls == profile.cache_calls
    # A file saved before cache calls were recorded loads with none.
    data = json.loads((tmp_path / "p.json").read_text())
    for name in ("cache_calls", "cache_call_count", "cache_overflow"):
        del data[name]
    (tmp_path / "old.json").write_text(json.dumps(data))
    old = kit.load(tmp_path / "old.json")
    assert old.cache_calls == [] and old.cache_call_count == 0


def test_compare_adds_cache_calls_hits_and_misses():
    before = cache_profile(name="before")
    after = cache_profile(calls=[CALLS[2], replace(CALLS[2], id=1, start_ms=6.0)], name="after")
    comparison = Comparison(before, after)
    rows = {m.name: m for m in comparison.metrics}
    assert (rows["cache calls"].before, rows["cache calls"].after) == (4, 2)
    assert (rows["cache hits"].before, rows["cache hits"].after, rows["cache misses"].after) == (
        2,
        2,
        0,
    )
    assert rows["cache misses"].improved and not rows["cache hits"].improved
    worse = Comparison(after, before)
    colours = dict(zip(worse.figure().data[0].y, worse.figure().data[0].marker.color, strict=True))
    assert colours["cache hits"] == SAME  # 2 -> 2
    assert colours["cache misses"] == WORSE
    fewer_hits = Comparison(before, cache_profile(calls=[CALLS[0]]))
    colour = dict(
        zip(fewer_hits.figure().data[0].y, fewer_hits.figure().data[0].marker.color, strict=True)
    )
    assert colour["cache hits"] == WORSE and colour["cache calls"] == BETTER
    plain = Comparison(cache_profile(calls=[]), cache_profile(calls=[]))
    assert "cache calls" not in [m.name for m in plain.metrics]


def test_report_has_the_cache_sections_and_redacts_keys():
    profile = cache_profile()
    html = render_report(profile, static_images=False)
    assert "<h2>By cache key pattern</h2>" in html and "<h2>Cache calls</h2>" in html
    assert "<td>user_dashboard_1</td>" in html
    redacted = render_report(profile, redact_params=True, static_images=False)
    assert "user_dashboard_1<" not in redacted and "<td>user_dashboard_{n}</td>" in redacted
    assert "By cache key pattern" not in render_report(
        cache_profile(calls=[]), static_images=False
    )


@pytest.fixture
def two_caches():
    with override_settings(
        CACHES={"default": settings_for(LOCMEM), "other": settings_for(LOCMEM)}
    ):
        yield


@pytest.mark.django_db
def test_magic_cache_options(ip_shell, two_caches):
    cell = (
        "from django.core.cache import cache, caches\ncache.get('a')\ncaches['other'].get('b')\n"
    )
    result, captured = run(ip_shell, f"%%orm_profile -o prof\n{cell}")
    assert result.error_in_exec is None
    assert [c.alias for c in ip_shell.user_ns["prof"].cache_calls] == ["default", "other"]
    assert "2 cache calls, 0 hits, 2 misses" in all_html(captured)
    assert "Cache calls by key pattern" in all_html(captured)
    run(ip_shell, f"%%orm_profile -o prof --cache other\n{cell}")
    assert [(c.alias, c.line) for c in ip_shell.user_ns["prof"].cache_calls] == [("other", 4)]
    run(ip_shell, f"%%orm_profile -o prof --no-cache\n{cell}")
    assert ip_shell.user_ns["prof"].cache_call_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--cache other --no-cache", "--cache and --no-cache exclude each other"),
        ("--cache sessions", "Unknown cache alias 'sessions'"),
    ],
)
def test_magic_cache_option_errors(ip_shell, two_caches, line, message):
    result, _ = run(ip_shell, f"%%orm_profile {line}\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)


@pytest.mark.django_db
def test_a_cell_displaying_a_cache_value_names_its_line(ip_shell, two_caches):
    run(
        ip_shell,
        "%%orm_profile -o prof\nfrom django.core.cache import cache\ncache.get('shown')\n",
    )
    (shown,) = ip_shell.user_ns["prof"].cache_calls
    assert shown.line == 3


def test_a_profiles_own_views_show_the_cache_table():
    profile = cache_profile()
    assert "Cache calls by key pattern (4 cache calls" in repr(profile)
    assert "<strong>Cache calls by key pattern" in profile._repr_html_()
    assert "**Cache calls by key pattern" in profile._repr_markdown_()
    assert "Cache calls by key pattern" not in repr(cache_profile(calls=[]))


def test_timeline_says_how_many_cache_calls_it_does_not_draw():
    profile = cache_profile(cache_call_count=10)
    subtitle = render_timeline(profile).layout.title.subtitle.text
    assert subtitle.endswith("; 6 cache calls past the record cap are not drawn")
