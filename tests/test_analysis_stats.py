"""Per-fingerprint and per-table statistics, the overflow counters included."""

from __future__ import annotations

import pytest

from kit.analysis.fingerprint import fingerprint
from kit.analysis.stats import QueryStats, stats_by_fingerprint, stats_by_table
from kit.capture.records import FingerprintCounter
from tests.records import POSTS, TAGS_OF_POST, USER_BY_ID, Trace


def trace() -> Trace:
    return (
        Trace()
        .add(USER_BY_ID, (1,), line=2, duration_ms=1.0)
        .add(USER_BY_ID, (2,), line=2, duration_ms=3.0)
        .add(TAGS_OF_POST, (1,), line=3, duration_ms=2.5)
        .add(POSTS, line=4, duration_ms=0.5)
    )


def test_by_fingerprint_counts_totals_and_maxima_slowest_first():
    assert stats_by_fingerprint(trace().records) == [
        QueryStats(fingerprint(USER_BY_ID), 2, 4.0, 3.0),
        QueryStats(fingerprint(TAGS_OF_POST), 1, 2.5, 2.5),
        QueryStats(fingerprint(POSTS), 1, 0.5, 0.5),
    ]


def test_by_table_counts_a_join_for_each_table():
    assert stats_by_table(trace().records) == [
        QueryStats("auth_user", 2, 4.0, 3.0),
        QueryStats("blog_posttag", 1, 2.5, 2.5),
        QueryStats("blog_tag", 1, 2.5, 2.5),
        QueryStats("blog_post", 1, 0.5, 0.5),
    ]


def test_queries_past_the_record_cap_are_in_the_statistics():
    counter = FingerprintCounter("default", fingerprint(USER_BY_ID))
    for duration in (10.0, 2.0):
        counter.add(duration)
    (users, *_) = stats_by_fingerprint(trace().records, [counter])
    assert users == QueryStats(fingerprint(USER_BY_ID), 4, 16.0, 10.0)
    (user_table, *_) = stats_by_table(trace().records, [counter])
    assert user_table == QueryStats("auth_user", 4, 16.0, 10.0)


@pytest.mark.parametrize(("count", "total", "mean"), [(4, 10.0, 2.5), (0, 0.0, 0.0)])
def test_mean(count, total, mean):
    assert QueryStats("k", count, total, total).mean_ms == mean
