"""Findings in the profile's text, markdown and HTML views; the profile's analysis API."""

from __future__ import annotations

import pickle

import pytest
from django.db import connection

import kit
from kit.render.findings import MAX_FINDINGS_SHOWN
from sample_app.workloads import n_plus_one_loop, post_count_terrible

pytestmark = pytest.mark.django_db


def repeated_shapes(count: int) -> kit.Profile:
    """A profile with `count` duplicate findings: each shape runs twice with the same params."""
    with kit.profile(name="dups") as p, connection.cursor() as cursor:
        for i in range(count):
            for _ in range(2):
                cursor.execute(f"SELECT %s AS c{i}", [i])
    return p


def test_a_long_list_shows_the_worst_and_says_where_the_rest_are():
    p = repeated_shapes(MAX_FINDINGS_SHOWN + 2)
    assert len(p.findings) == MAX_FINDINGS_SHOWN + 2
    more = "2 more findings in dups.findings."
    html, text, markdown = p._repr_html_(), repr(p), p._repr_markdown_()
    assert html.count("<li>") == MAX_FINDINGS_SHOWN and f"<p><em>{more}</em></p>" in html
    assert text.count("\n- [low · duplicate] ") == MAX_FINDINGS_SHOWN and more in text
    assert markdown.count("- **low · duplicate**") == MAX_FINDINGS_SHOWN and more in markdown


def test_no_findings_no_findings_section():
    p = repeated_shapes(1)
    p.threshold = 2  # still no N+1: the two queries have the same params
    assert [f.kind for f in p.findings] == ["duplicate"]
    with kit.profile() as p, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert p.findings == []
    assert "Findings" not in repr(p) and "Findings" not in p._repr_html_()
    assert "<ul>" not in p._repr_html_()


def test_script_profile_text_names_the_file_line_and_the_fix():
    with kit.profile() as p:
        post_count_terrible()
    text = repr(p)
    assert text.splitlines()[1] == "Findings, worst first:"
    assert "- [medium · len()] workloads.py:" in text
    assert "    post_count = Post.objects.count()" in text.splitlines()


def test_a_pickled_profile_keeps_its_findings():
    with kit.profile() as p:
        n_plus_one_loop()
    copy = pickle.loads(pickle.dumps(p))
    assert copy.findings == p.findings
    assert copy.n_plus_one == p.n_plus_one and len(copy.n_plus_one) == 4


def test_changing_the_threshold_recomputes_the_findings():
    with kit.profile() as p:
        n_plus_one_loop()
    assert [f.kind for f in p.findings] == ["n_plus_one"]
    p.threshold = p.query_count  # no line sends that many
    assert "n_plus_one" not in {f.kind for f in p.findings}


@pytest.mark.parametrize("threshold", [1, 0])
def test_profile_refuses_a_threshold_below_two(threshold):
    with (
        pytest.raises(ValueError, match="threshold must be 2 or more"),
        kit.profile(threshold=threshold),
    ):
        pass
