"""The cache's pure analysis on hand-built records: key patterns, statistics, per-key histories,
and each finding, with the cases that must not raise it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kit.analysis.cache_events import BlockTimeline, key_events
from kit.analysis.cache_findings import find_cache_findings
from kit.analysis.cache_keys import key_pattern, keys_pattern
from kit.analysis.cache_stats import cache_key_stats, cache_totals
from kit.analysis.findings import Finding, sort_findings
from kit.analysis.report import analyze
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.records import QueryRecord

CELL = "<cell>"
POSTS = 'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."author_id" = %s'
COUNT = 'SELECT COUNT(*) AS "__count" FROM "blog_post" WHERE "blog_post"."author_id" = %s'
UPDATE = 'UPDATE "blog_post" SET "title" = %s WHERE "blog_post"."id" = %s'
UPDATE_USER = 'UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s'
PAGE = "views.decorators.cache.cache_page..GET.{}.d41d8cd98f00b204e9800998ecf8427e.en-us.UTC"
HEADER = "views.decorators.cache.cache_header..0c1d8e0f3b6b1d7a0b1c2d3e4f5a6b7c.en-us.UTC"


class Block:
    """Cache calls and queries in the order a block made them, each 1 ms after the last."""

    def __init__(self) -> None:
        self.calls: list[CacheRecord] = []
        self.queries: list[QueryRecord] = []
        self.now = 0.0

    def _tick(self, duration: float) -> float:
        start = self.now
        self.now += duration + 1.0
        return start

    def call(
        self, op: str, *keys: str, hit: Any = None, line: int = 1, **fields: Any
    ) -> CacheRecord:
        if isinstance(hit, bool):
            hit = (hit,) * len(keys)
        record = CacheRecord(
            id=len(self.calls),
            op=op,
            alias=fields.pop("alias", "default"),
            backend="LocMemCache",
            keys=keys,
            versioned_keys=tuple(f":1:{k}" for k in keys),
            hit=hit,
            start_ms=self._tick(0.1),
            duration_ms=0.1,
            thread=fields.pop("thread", "MainThread"),
            source_file=CELL,
            source_lineno=line,
            line=line,
            **fields,
        )
        self.calls.append(record)
        return record

    def query(self, sql: str, *params: Any, line: int = 1) -> QueryRecord:
        record = QueryRecord(
            id=len(self.queries),
            alias="default",
            vendor="sqlite",
            sql=sql,
            params=params,
            many=False,
            start_ms=self._tick(0.5),
            duration_ms=0.5,
            thread="MainThread",
            source_file=CELL,
            source_lineno=line,
            line=line,
        )
        self.queries.append(record)
        return record

    def findings(self) -> list[Finding]:
        return find_cache_findings(self.calls, self.queries, CELL)

    def kinds(self) -> list[str]:
        return sorted(f.kind for f in self.findings())


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("user_dashboard_42", "user_dashboard_{n}"),
        ("popular_posts_v2", "popular_posts_v2"),  # a number that ends a word is a name
        ("post:12:comments", "post:{n}:comments"),
        ("category_posts_3", "category_posts_{n}"),
        ("md5", "md5"),
        ("42", "{n}"),
        ("template.cache.sidebar." + "d" * 32, "template.cache.sidebar.{hash}"),
        (PAGE.format("0c1d8e0f3b6b1d7a0b1c2d3e4f5a6b7c"),
         "views.decorators.cache.cache_page..GET.{hash}.{hash}.en-us.UTC"),
        ("session:550e8400-e29b-41d4-a716-446655440000", "session:{uuid}"),
        ("sha:" + "a" * 40, "sha:{hash}"),
        ("deadbeef", "deadbeef"),  # short hex is a word
    ],
)  # fmt: skip
def test_key_pattern(key, pattern):
    assert key_pattern(key) == pattern


def test_keys_pattern_joins_distinct_patterns_in_order():
    assert keys_pattern(("user_1", "user_2", "popular_posts_v2")) == "user_{n}, popular_posts_v2"
    assert keys_pattern(()) == "(all keys)"


def test_statistics_per_pattern_and_totals_count_the_overflow():
    block = Block()
    block.call("get", "user_1", hit=False, line=3)
    block.call("set", "user_1", line=4)
    block.call("get_many", "user_1", "user_2", hit=(True, False), line=5)
    block.call("get", "popular_posts_v2", hit=True, line=6)
    overflow = [
        CacheCounter(
            "default", "get", "user_{n}", count=4, hits=1, misses=3, total_ms=2.0, max_ms=0.9
        )
    ]
    stats = {s.pattern: s for s in cache_key_stats(block.calls, overflow)}
    user = stats["user_{n}"]
    assert (user.calls, user.hits, user.misses) == (7, 2, 5)
    assert user.ops == {"get": 5, "set": 1, "get_many": 1}
    assert user.lines == [3, 4, 5] and user.record_ids == [0, 1, 2]
    assert user.total_ms == pytest.approx(2.3) and user.max_ms == 0.9
    assert user.hit_rate == pytest.approx(2 / 7)
    assert stats["popular_posts_v2"].hit_rate == 1.0
    assert list(stats) == ["user_{n}", "popular_posts_v2"]  # most time first
    totals = cache_totals(block.calls, overflow)
    assert (totals.calls, totals.hits, totals.misses) == (8, 3, 5)
    assert totals.total_ms == pytest.approx(2.4)


def test_key_histories():
    block = Block()
    block.call("get_or_set", "a", hit=False)
    block.call("get", "a", hit=True)
    block.call("set", "b", alias="other")
    block.call("has_key", "a", hit=True)
    block.call("clear")
    block.call("delete_many", "a", "c")
    block.call("touch", "a")
    events = key_events(block.calls)
    assert [e.kind for e in events[("default", ":1:a")]] == [
        "miss", "store", "hit", "check", "delete", "delete"
    ]  # fmt: skip
    assert [e.kind for e in events[("other", ":1:b")]] == ["store"]  # the clear was default's
    assert [e.kind for e in events[("default", ":1:c")]] == ["delete", "delete"]  # clear, then


def test_queries_inside_a_cache_call_are_the_backends_except_get_or_sets_default():
    block = Block()
    get = block.call("get", "k", hit=False)
    own = block.query(POSTS, 1)  # made to fall inside the get below
    get = replace(get, duration_ms=block.now - get.start_ms + 0.1)
    block.calls[0] = get
    outer = block.call("get_or_set", "g", hit=False)
    computed = block.query(COUNT, 1)
    outer = replace(
        outer,
        duration_ms=block.now - outer.start_ms - 0.5,
        computed_ms=(computed.start_ms - 0.1, computed.end_ms + 0.1),
    )
    block.calls[1] = outer
    after = block.query(POSTS, 2)
    timeline = BlockTimeline(block.queries, block.calls)
    assert timeline.call_around("MainThread", own.start_ms) == get
    assert timeline.queries_between("MainThread", 0.0, float("inf")) == [computed, after]


def test_miss_then_the_same_queries_with_no_set():
    block = Block()
    for _ in range(3):
        block.call("get", "user_dashboard_1", hit=False, line=2)
        block.query(COUNT, 1, line=5)
        block.query(POSTS, 1, line=6)
    (finding,) = block.findings()
    assert finding.kind == "cache_miss_query" and finding.severity == "medium"
    assert finding.record_ids == tuple(range(6)) and finding.cache_call_ids == (0, 1, 2)
    assert finding.suggestion == "cache.set('user_dashboard_1', value, timeout)"
    assert finding.message.startswith(
        "'user_dashboard_1' missed 3 times (line 2) and nothing stored it: each miss was "
        "followed by the same queries (6 in all)"
    )


def test_misses_of_one_pattern_are_one_finding_on_their_alias():
    block = Block()
    for user in (1, 2):
        for _ in range(2):
            block.call("get", f"user_{user}", hit=False, alias="other")
            block.query(COUNT, user)
    (finding,) = block.findings()
    assert finding.message.startswith("2 keys like 'user_{n}' missed repeatedly (4 misses;")
    assert finding.suggestion == "caches['other'].set('user_1', value, timeout)"


@pytest.mark.parametrize(
    ("steps", "kinds"),
    [
        # Missed, stored, found: caching as it should be.
        ([("get", False), ("query",), ("set",), ("get", True)], []),
        # Stored in between, missed again: the value did not stay.
        ([("get", False), ("query",), ("set",), ("get", False)], ["cache_miss"]),
        # A delete between two misses makes the second one expected.
        ([("get", False), ("query",), ("set",), ("delete",), ("get", False), ("set",)], []),
        # Two lookups, nothing computed in between.
        ([("get", False), ("get", False)], ["cache_miss"]),
        # Different queries after each miss: not the same work repeated.
        ([("get", False), ("query", POSTS), ("get", False), ("query", COUNT)], ["cache_miss"]),
        # get_or_set stores on its miss: a second miss means the value did not stay.
        ([("get_or_set", False), ("get_or_set", False)], ["cache_miss"]),
    ],
)  # fmt: skip
def test_repeated_misses(steps, kinds):
    block = Block()
    for step in steps:
        if step[0] == "query":
            block.query(step[1] if len(step) > 1 else COUNT, 1)
        else:
            block.call(step[0], "k", hit=step[1] if len(step) > 1 else None)
    assert [f.kind for f in block.findings()] == kinds


def test_severity_tells_a_value_that_did_not_stay_from_a_lookup_repeated():
    stored, repeated = Block(), Block()
    for op, hit in (("get", False), ("set", None), ("get", False)):
        stored.call(op, "k", hit=hit)
    for _ in range(2):
        repeated.call("get", "k", hit=False)
    assert [(f.severity, "did not stay" in f.message) for f in stored.findings()] == [
        ("medium", True)
    ]
    assert [(f.severity, "never set" in f.message) for f in repeated.findings()] == [("low", True)]


def test_keys_set_and_never_read():
    block = Block()
    block.call("set", "warm_1", line=3)
    block.call("set", "warm_2", line=3)
    block.call("set_many", "twice", "read")
    block.call("set", "twice")
    block.call("get", "read", hit=True)
    block.call("get", "normal", hit=False)  # missed, computed, stored: not "never read"
    block.call("set", "normal")
    block.call("set", PAGE.format("0" * 32), view="v", request="GET /")  # pages are for later
    found = sorted(
        (f.severity, f.message.split(" set")[0], f.cache_call_ids) for f in block.findings()
    )
    assert found == [
        ("info", "'twice'", (2, 3)),
        ("info", "'warm_1', 'warm_2' (pattern 'warm_{n}')", (0, 1)),
        ("low", "'twice' was", (2, 3)),
    ]
    assert {f.kind for f in block.findings()} == {"cache_unread"}


def test_unread_keys_are_grouped_per_pattern():
    block = Block()
    block.call("set", "warm_1", line=3)
    block.call("set", "warm_2", line=3)
    block.call("set", "other_key", line=4)
    messages = sorted(f.message for f in block.findings())
    assert messages[0].startswith("'other_key' set at line 4 and never read in this block")
    assert messages[1].startswith(
        "'warm_1', 'warm_2' (pattern 'warm_{n}') set at line 3 and never"
    )


def page_block(keys: list[str], *, served: bool = False) -> Block:
    block = Block()
    for number, key in enumerate(keys, 1):
        request = {
            "view": "blog.views.popular",
            "request": "GET /popular/",
            "request_number": number,
        }
        block.call("get", HEADER, hit=number > 1, **request)
        block.call("get", PAGE.format(key), hit=served and number > 1, **request)
        block.call("set", HEADER, **request)
        block.call("set", PAGE.format(key), vary_on=("Cookie",), **request)
    return block


def test_a_page_stored_under_a_new_key_on_every_request():
    (finding,) = page_block(["1" * 32, "2" * 32, "3" * 32]).findings()
    assert finding.kind == "cache_key_varies"
    assert finding.message.startswith(
        "cache_page of blog.views.popular stored GET /popular/ under a new key on each of its 3 "
        "requests and never served it from the cache: the key includes the request headers the "
        "response varies on (Vary: Cookie)."
    )
    assert finding.cache_call_ids == (3, 7, 11)


@pytest.mark.parametrize(
    ("keys", "served"),
    [(["1" * 32], False), (["1" * 32, "1" * 32], False), (["1" * 32, "2" * 32], True)],
)
def test_pages_that_are_not_a_varying_key(keys, served):
    assert "cache_key_varies" not in page_block(keys, served=served).kinds()


def fragment_block(keys_per_request: list[list[str]], hit: bool = False) -> Block:
    block = Block()
    for number, keys in enumerate(keys_per_request, 1):
        for key in keys:
            fields = {
                "fragment": "sidebar (blog/base.html:3)",
                "request": "GET /",
                "request_number": number,
                "vary_on": (f"datetime({number})",),
            }
            block.call("get", f"template.cache.sidebar.{key}", hit=hit and number > 1, **fields)
            block.call("set", f"template.cache.sidebar.{key}", **fields)
    return block


def test_a_fragment_looked_up_under_a_new_key_on_every_request():
    (finding,) = fragment_block([["a" * 32], ["b" * 32]]).findings()
    assert finding.kind == "cache_key_varies"
    assert (
        "fragment sidebar (blog/base.html:3) was looked up under a new key on each of the 2 "
        "requests of GET / and never hit: its vary_on values change from one request to the "
        "next (datetime(1); datetime(2))" in finding.message
    )


@pytest.mark.parametrize(
    "keys",
    [
        [["a" * 32, "b" * 32]],  # one request, a loop: keys differ per item
        [["a" * 32, "b" * 32], ["a" * 32, "b" * 32]],  # the same keys again: not varying
    ],
)
def test_fragments_that_are_not_a_varying_key(keys):
    assert "cache_key_varies" not in fragment_block(keys).kinds()


def stale_block(*, write: str = UPDATE, delete: tuple[str, ...] = ("popular_posts_v2",)) -> Block:
    block = Block()
    block.call("get", "category_posts_3", hit=False, line=2)
    block.query(POSTS, 3, line=3)
    block.call("set", "category_posts_3", line=4)
    block.query(write, "new title", 7, line=6)
    block.call("delete_many", *delete, line=7)
    block.call("get", "category_posts_3", hit=True, line=9)
    return block


def test_a_value_read_after_a_write_to_its_table_is_stale():
    (finding,) = stale_block(delete=("popular_posts_v2", "category_posts_4")).findings()
    assert finding.kind == "cache_stale" and finding.severity == "medium"
    assert finding.message == (
        "Stale cache reads: after the UPDATE of blog_post at line 6, 1 cached value(s) computed "
        "from it before were read unchanged: 'category_posts_3' at line 9. The invalidation at "
        "line 7 deleted 'popular_posts_v2', 'category_posts_4', not these."
    )
    assert finding.record_ids == (1,)
    assert finding.suggestion == "cache.delete_many(['category_posts_3'])"
    assert finding.cache_call_ids == (1, 2, 3)


@pytest.mark.parametrize(
    "block",
    [
        stale_block(write=UPDATE_USER),  # another table than the value was computed from
        stale_block(delete=("category_posts_3",)),  # the invalidation covers it
    ],
)
def test_not_stale(block):
    assert "cache_stale" not in block.kinds()


def test_stale_without_any_invalidation_and_a_header_list_is_never_stale():
    block = Block()
    for key in ("popular", HEADER):
        block.call("get", key, hit=False)
        block.query(POSTS, 1)
        block.call("set", key)
    block.query(UPDATE, "t", 1)
    block.call("get", "popular", hit=True)
    block.call("get", HEADER, hit=True)
    (finding,) = [f for f in block.findings() if f.kind == "cache_stale"]
    assert finding.message.endswith("'popular' at line 1. Nothing deleted them.")


def test_analyze_merges_and_sorts_cache_findings_with_the_queries():
    block = stale_block()
    for _ in range(2):
        block.call("get", "k", hit=False)
    analysis = analyze(block.queries, cell_filename=CELL, cache_calls=block.calls)
    assert [f.kind for f in analysis.findings] == ["cache_stale", "cache_miss"]
    assert analyze(block.queries, cell_filename=CELL).findings == ()


def test_sort_counts_cache_calls_beside_queries():
    few = Finding("cache_miss", "low", "few", (), cache_call_ids=(5,))
    many = Finding("cache_miss", "low", "many", (), cache_call_ids=(1, 2, 3))
    queries = Finding("duplicate", "low", "queries", (0, 1))
    assert [f.message for f in sort_findings([few, queries, many])] == ["many", "queries", "few"]
