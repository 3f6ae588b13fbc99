"""p.save(path) / kit.load(path) round trips, and the standalone HTML report."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

import kit
from kit.capture.records import FingerprintCounter, Relation
from kit.profiles.export import FORMAT, VERSION
from kit.profiles.jsonvalues import decode_value, encode_value
from kit.render.figures import find_browser
from sample_app.blog.models import Post
from tests.profiles import AUTHOR_SQL, make_profile, n_plus_one_profile, record

PARAMS = [
    (),
    (1, "two", None, 3.5, True),
    [(1, "a"), (2, "b")],  # executemany: a list of tuples
    (datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC), date(2025, 1, 2), time(3, 4, 5)),
    (Decimal("1.10"), uuid.UUID(int=7), b"\x00\xffbytes", timedelta(days=1, microseconds=3)),
    {"name": "x", "ids": (1, 2)},
    ({"$tuple": "looks like a tag"},),
    None,
]


@pytest.mark.parametrize("params", PARAMS, ids=range(len(PARAMS)))
def test_params_round_trip_to_equal_values_of_the_same_type(params):
    back = decode_value(json.loads(json.dumps(encode_value(params))))
    assert back == params and type(back) is type(params)


def test_an_unknown_type_is_kept_as_its_repr():
    class Point:
        def __repr__(self) -> str:
            return "Point(1, 2)"

    assert decode_value(encode_value((Point(),))) == ("Point(1, 2)",)


def test_save_and_load_give_an_equal_profile(tmp_path):
    records = [record(i, AUTHOR_SQL, p, start_ms=i, line=3) for i, p in enumerate(PARAMS)]
    profile = make_profile(records, name="before")
    profile._counters = [FingerprintCounter("default", "SELECT ? FROM t", 3, 1.5, 0.75)]
    profile._query_count += 3
    path = profile.save(tmp_path / "before.json")
    data = json.loads(path.read_text())
    assert list(data)[:2] == ["format", "version"]
    assert (data["format"], data["version"]) == (FORMAT, VERSION) == ("django-orm-kit/profile", 1)
    loaded = kit.load(path)
    assert loaded == profile
    assert loaded.queries == profile.queries and loaded.overflow == profile.overflow
    assert loaded.query_count == len(PARAMS) + 3


def test_cell_numbers_and_repeated_runs_round_trip_and_older_files_load(tmp_path):
    from kit.analysis.timings import RunTimes

    profile = make_profile([record(0, AUTHOR_SQL, (1,), start_ms=1, line=3)], name="p")
    profile.cell_numbers = {"/tmp/ipykernel_1/123.py": 4}
    profile.runs = RunTimes((3.0, 2.0, 4.0), (1.0, 1.5, 0.5), (1, 1, 1))
    path = profile.save(tmp_path / "p.json")
    loaded = kit.load(path)
    assert loaded.cell_numbers == {"/tmp/ipykernel_1/123.py": 4}
    assert loaded.runs == profile.runs and loaded.runs.median_wall_ms == 3.0
    # A file saved before these fields existed loads with their defaults.
    data = json.loads(path.read_text())
    del data["cell_numbers"], data["runs"]
    path.write_text(json.dumps(data))
    older = kit.load(path)
    assert older.cell_numbers == {} and older.runs is None


@pytest.mark.django_db
def test_a_captured_profile_round_trips(tmp_path):
    with kit.profile(name="loop") as profile:
        for post in Post.objects.order_by("pk")[:3]:
            post.author.username  # noqa: B018
    loaded = kit.load(profile.save(tmp_path / "p.json"))
    assert loaded == profile
    assert loaded.queries == profile.queries
    assert {q.relation for q in loaded.queries} >= {
        Relation("blog.Post", "author", "forward", "auth.User")
    }
    assert loaded.findings == profile.findings and loaded.n_plus_one


@pytest.mark.django_db
def test_explain_plans_round_trip(tmp_path):
    with kit.profile(explain="analyze") as profile:
        list(Post.objects.filter(view_count__gte=100).order_by("-created_at")[:5])
    assert profile.plans, profile.explain_errors
    loaded = kit.load(profile.save(tmp_path / "p.json"))
    assert loaded.plans == profile.plans
    assert loaded.plans[0].root == profile.plans[0].root
    assert loaded.explain_errors == profile.explain_errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"format": FORMAT, "version": 2}, "version 2 is not supported: this kit reads version 1"),
        ({"format": "other"}, "Not a saved kit profile"),
        ("not json at all", "is not a saved kit profile"),
    ],
)
def test_load_refuses_what_it_cannot_read(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(kit.ProfileFormatError, match=message):
        kit.load(path)


def test_an_unfinished_profile_is_not_saved(tmp_path):
    class Source:
        query_count, db_time_ms, counters = 0, 0.0, {}

        def records(self):
            return []

    profile = make_profile([])
    profile._source = Source()
    with pytest.raises(ValueError, match="only after its block ends"):
        profile.save(tmp_path / "p.json")


def test_report_is_plain_html_with_the_summary_tables_and_timeline(tmp_path):
    profile = n_plus_one_profile(posts=4, name="loop")
    path = profile.to_html(tmp_path / "report.html", static_images=False)
    html = path.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "loop: 6 queries · " in html
    assert "<h2>By query shape</h2><table>" in html and "<h2>By table</h2><table>" in html
    assert "<pre>Timeline: 6 queries in" in html  # the text timeline, no image asked for
    assert "N+1" in html and "4 queries" in html
    assert "params: (12,)" in html


def test_report_can_redact_params(tmp_path):
    failed = record(1, AUTHOR_SQL, (None,), start_ms=2, line=3)
    records = [
        record(0, AUTHOR_SQL, ("secret@example.com",), start_ms=1, line=3),
        dataclasses.replace(failed, error="IntegrityError: Key (email)=(secret@x) exists"),
    ]
    profile = make_profile(records)
    html = kit.report(profile, tmp_path / "r.html", redact_params=True, static_images=False)
    text = html.read_text()
    assert "secret@" not in text
    assert "params: (redacted #1)" in text and "Query parameters are redacted." in text
    # The error keeps its type and wording, not the value it quoted.
    assert "<strong>IntegrityError: Key (email)=((redacted)) exists</strong>" in text
    assert "secret@example.com" in profile.to_html(tmp_path / "open.html").read_text()


@pytest.mark.skipif(
    find_browser() is None and os.environ.get("KIT_REQUIRE_SERVERS") != "1",
    reason="no Chromium-family browser for kaleido (apt install chromium)",
)
def test_report_inlines_the_figures_as_png(tmp_path):
    html = n_plus_one_profile().to_html(tmp_path / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == 2
    assert "<script" not in html
