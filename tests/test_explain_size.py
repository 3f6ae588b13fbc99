"""Queries of any size are explained or refused with an error value, never an exception.

A long IN list or VALUES rows is read with its run of parameters cut short (every database
reads the run the same either way); what is left is read in full up to MAX_CHECKED characters,
and a longer text is refused. Times are in benchmarks/explain_parse.py, not here.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.explain import ExplainError, Plan, explain_sql
from kit.explain.safety import MAX_CHECKED, RefusedStatement, check_explain, shortened
from tests.test_explain_safety import SQL_PIECES


def refusal(sql: str, analyze: bool) -> str | None:
    try:
        check_explain(sql, analyze=analyze)
    except RefusedStatement as exc:
        return str(exc)
    return None


RUNS = [", ".join(["%s"] * 3_000), ", ".join(map(str, range(2_000))), "(%s, %s), " * 999 + "(1)"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SQL_PIECES, max_size=8),
    st.lists(SQL_PIECES, max_size=8),
    st.sampled_from(RUNS),
    st.sampled_from([" ", ""]),
    st.booleans(),
)
def test_a_long_run_of_parameters_reads_as_a_short_one(before, after, run, separator, analyze):
    long = separator.join([*before, run, *after])
    items = re.findall(r"\((?:%s|\d+)(?:, ?(?:%s|\d+))*\)|%s|\d+", run)
    short = separator.join([*before, ", ".join(items[:3] + items[-1:]), *after])
    assert len(shortened(long)) < len(long) // 10
    assert refusal(long, analyze) == refusal(short, analyze)


def test_the_shortened_text_keeps_every_word_quote_and_comment():
    sql = "SELECT 'a' /* x */ FROM t WHERE id IN (" + ", ".join(["%s"] * 5_000) + ") -- c\n"
    assert shortened(sql) == "SELECT 'a' /* x */ FROM t WHERE id IN (%s, %s, %s, %s) -- c\n"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT x FROM t WHERE s IN (" + ", ".join(f"'v{i}'" for i in range(150_000)) + ")",
        "SELECT " + ", ".join(f"t.c{i}" for i in range(120_000)) + " FROM t",
        "SELECT 1 /* " + "x" * 1_000_000 + " */",
    ],
    ids=["strings", "names", "comment"],
)
def test_a_megabyte_the_kit_cannot_shorten_is_refused(sql):
    with pytest.raises(RefusedStatement, match=f"reads at most {MAX_CHECKED:,}"):
        check_explain(sql, analyze=False)


@pytest.mark.django_db
def test_a_megabyte_of_strings_gets_an_error_value_and_nothing_runs():
    from tests.spies import spy_statements

    values = ", ".join(f"'v{i}'" for i in range(150_000))
    with spy_statements() as spy:
        result = explain_sql(f"SELECT * FROM blog_tag WHERE name IN ({values})", analyze=True)
    assert isinstance(result, ExplainError) and "characters long" in result.message
    assert spy.statements == []


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["analyze", "whatif"])
def test_an_id_in_of_100000_values_goes_through_the_magic(ip_shell, mode):
    ip_shell.run_line_magic("config", "OrmProfile.static_images = False")
    result = ip_shell.run_cell(
        f"%%orm_profile --explain {mode} -o huge\n"
        "from sample_app.blog.models import Post\n"
        "ids = list(Post.objects.values_list('pk', flat=True)[:5])\n"
        "ids += list(range(10**6, 10**6 + 99_995))\n"
        "try:\n"
        "    posts = list(Post.objects.filter(pk__in=ids))\n"
        "except Exception as exc:  # SQLite may have a lower limit on parameters\n"
        "    posts = exc\n"
    )
    result.raise_error()
    profile = ip_shell.user_ns["huge"]
    posts = ip_shell.user_ns["posts"]
    big = [q for q in profile.queries if len(q.sql) > 300_000]
    assert len(big) == 1
    plans = [p for p in profile.plans if p.sql == big[0].sql]
    errors = [e for e in profile.explain_errors if e.sql == big[0].sql]
    assert len(plans + errors) == 1, (plans, errors)
    if isinstance(posts, list):
        assert len(posts) == 5
        assert plans and plans[0].analyzed == (mode == "analyze"), errors
    else:
        assert connection.vendor == "sqlite" and errors
    assert all(isinstance(p, Plan) for p in profile.plans)
