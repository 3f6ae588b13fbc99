"""Duplicate, similar and N+1 groups over hand-built records (no database)."""

from __future__ import annotations

import pytest

from kit.analysis.fingerprint import fingerprint
from kit.analysis.groups import (
    DuplicateGroup,
    NPlusOneGroup,
    SimilarGroup,
    find_n_plus_one,
    group_duplicates,
    group_similar,
)
from tests.records import (
    CELL,
    POST_AUTHOR,
    POSTS,
    USER_BY_ID,
    Trace,
    part1_loop,
)

IN_LIST = 'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN ({})'
SAVEPOINT = 'SAVEPOINT "s140_x{}"'


def in_list(n: int) -> str:
    return IN_LIST.format(", ".join(["%s"] * n))


def same_line(sql: str, params_list: list[tuple], line: int = 4, **kwargs: object) -> Trace:
    trace = Trace()
    for params in params_list:
        trace.add(sql, params, line=line, **kwargs)  # type: ignore[arg-type]
    return trace


def test_duplicates_need_the_same_sql_params_and_alias():
    trace = (
        Trace()
        .add(USER_BY_ID, (1,), line=2)
        .add(USER_BY_ID, (1,), line=3)
        .add(USER_BY_ID, (2,), line=4)
        .add(USER_BY_ID, (1,), line=5, alias="other")
        .add(POSTS, line=6)
        .add(POSTS, line=7)
        .add(POSTS, line=8)
    )
    assert group_duplicates(trace.records) == [
        DuplicateGroup("default", POSTS, fingerprint(POSTS), (4, 5, 6)),
        DuplicateGroup("default", USER_BY_ID, fingerprint(USER_BY_ID), (0, 1)),
    ]


def test_list_params_are_compared_by_value():
    trace = Trace().add(USER_BY_ID, [1], line=2).add(USER_BY_ID, [1], line=3)
    (group,) = group_duplicates(trace.records)
    assert group.record_ids == (0, 1)


def test_similar_folds_in_lists_of_any_length_and_names_every_source():
    trace = Trace().add(in_list(1), (1,), line=2).add(in_list(3), (1, 2, 3), line=3)
    trace.add(in_list(2), (5, 6), line=3, file="views.py")
    assert group_similar(trace.records) == [
        SimilarGroup(
            "default",
            fingerprint(in_list(1)),
            "SELECT",
            ("blog_post",),
            (0, 1, 2),
            (f"{CELL}:2", f"{CELL}:3", "views.py:3"),
        )
    ]


N_PLUS_ONE_CASES = [
    pytest.param([(1,), (2,), (3,)], 3, [(0, 1, 2)], id="three_at_threshold"),
    pytest.param([(1,), (2,)], 3, [], id="two_gets_below_threshold"),
    pytest.param([(1,), (2,)], 2, [(0, 1)], id="two_with_threshold_2"),
    pytest.param([(1,), (1,), (1,)], 3, [], id="same_params_is_a_duplicate_not_n_plus_one"),
    pytest.param([(1,), (1,), (2,)], 3, [(0, 1, 2)], id="repeats_count_once_params_differ"),
]


@pytest.mark.parametrize(("params_list", "threshold", "expected"), N_PLUS_ONE_CASES)
def test_n_plus_one_needs_threshold_queries_and_different_params(params_list, threshold, expected):
    trace = same_line(USER_BY_ID, params_list)
    groups = find_n_plus_one(trace.records, threshold)
    assert [g.record_ids for g in groups] == expected


def test_the_same_shape_from_different_lines_is_not_an_n_plus_one():
    trace = Trace()
    for line in (2, 3, 4, 5):
        trace.add(USER_BY_ID, (line,), line=line)
    assert find_n_plus_one(trace.records, 3) == []
    assert [g.record_ids for g in group_similar(trace.records)] == [(0, 1, 2, 3)]


def test_transaction_control_is_never_grouped():
    trace = Trace()
    for i in range(5):
        trace.add(SAVEPOINT.format(i), line=3)
    assert find_n_plus_one(trace.records, 3) == []
    assert group_similar(trace.records) == []


def test_n_plus_one_group_carries_relation_trigger_line_and_shape():
    groups = find_n_plus_one(part1_loop(posts=3, comments=1).records, 3)
    author = groups[0]
    assert author == NPlusOneGroup(
        alias="default",
        fingerprint=fingerprint(USER_BY_ID),
        kind="SELECT",
        tables=("auth_user",),
        source=f"{CELL}:3",
        line=3,
        record_ids=(1, 5, 9),
        distinct_params=3,
        relation=POST_AUTHOR,
        trigger="related",
    )
    assert author.count == 3
    assert [g.source for g in groups] == [f"{CELL}:{n}" for n in (3, 4, 5, 6)]


def test_queries_without_a_source_line_are_not_grouped():
    trace = Trace()
    for i in range(4):
        trace.add(USER_BY_ID, (i,))
    assert find_n_plus_one(trace.records, 3) == []


@pytest.mark.parametrize("threshold", [1, 0, -3])
def test_a_threshold_below_two_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold must be 2 or more"):
        find_n_plus_one([], threshold)
