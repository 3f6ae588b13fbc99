"""Cache calls captured: every operation once, hits per key, every thread, every alias, the
hooks off after the block; on local memory, Redis, the database and files."""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
from contextlib import ExitStack

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import override_settings

import kit
from kit.analysis.cache_events import BlockTimeline
from kit.capture import capture_cache_calls, hooked_classes
from kit.errors import UnknownAliasError
from tests import cache_urls
from tests.caches import CACHE_TABLE, DATABASE, FILES, LOCMEM, REDIS, settings_for
from tests.conftest import cache_classes_with_hooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def locmem():
    """A default local-memory cache of its own (and an `other` one) for this test."""
    with override_settings(
        CACHES={"default": settings_for(LOCMEM), "other": settings_for(LOCMEM)}
    ):
        yield


@pytest.fixture(scope="session")
def cache_table(django_db_setup, django_db_blocker):
    """The database cache's table, created once in the test database."""
    with django_db_blocker.unblock(), override_settings(CACHES={"db": settings_for(DATABASE)}):
        call_command("createcachetable", verbosity=0)


@pytest.fixture(params=["locmem", "redis", "database", "files"])
def backend(request, tmp_path, cache_table):
    """The default cache on each backend in turn; yields its class name."""
    # cache_table, a session fixture, is made before the test's transaction: DDL inside it
    # would be rolled back with it.
    name = request.param
    path = {"locmem": LOCMEM, "redis": REDIS, "database": DATABASE, "files": FILES}[name]
    with override_settings(CACHES={"default": settings_for(path, tmp_path)}):
        yield path.rsplit(".", 1)[1]
        if name != "redis":  # never clear() a shared server: the prefix keeps tests apart
            cache.clear()


def ops(p) -> list[tuple]:
    return [(c.op, c.keys, c.hit) for c in p.cache_calls]


def test_each_call_is_one_record_on_every_backend(backend):
    with kit.profile() as p:
        assert cache.get("user_1") is None
        cache.set("user_1", {"name": "ann"}, 60)
        assert cache.get("user_1") == {"name": "ann"}
        assert cache.get_many(["user_1", "user_2"]) == {"user_1": {"name": "ann"}}
        assert cache.get_or_set("user_2", lambda: "bob") == "bob"
        assert cache.get_or_set("user_2", "never") == "bob"
        assert cache.add("user_2", "again") is False
        cache.set("visits", 1)
        assert cache.incr("visits") == 2
        assert cache.decr("visits") == 1
        assert cache.has_key("visits") and not cache.has_key("nobody")
        assert cache.touch("visits", 60)
        cache.set_many({"a": 1, "b": 2})
        cache.delete("a")
        cache.delete_many(["b", "visits"])
    assert ops(p) == [
        ("get", ("user_1",), (False,)),
        ("set", ("user_1",), None),
        ("get", ("user_1",), (True,)),
        ("get_many", ("user_1", "user_2"), (True, False)),
        ("get_or_set", ("user_2",), (False,)),
        ("get_or_set", ("user_2",), (True,)),
        ("add", ("user_2",), None),
        ("set", ("visits",), None),
        ("incr", ("visits",), None),
        ("decr", ("visits",), None),
        ("has_key", ("visits",), (True,)),
        ("has_key", ("nobody",), (False,)),
        ("touch", ("visits",), None),
        ("set_many", ("a", "b"), None),
        ("delete", ("a",), None),
        ("delete_many", ("b", "visits"), None),
    ]
    assert {c.backend for c in p.cache_calls} == {backend}
    assert {c.alias for c in p.cache_calls} == {"default"}
    assert p.cache_call_count == 16
    totals = p.cache_totals
    assert (totals.hits, totals.misses) == (4, 4)
    assert totals.total_ms == pytest.approx(sum(c.duration_ms for c in p.cache_calls))


def test_record_fields(locmem):
    line = inspect.currentframe().f_lineno + 2
    with kit.profile() as p:
        cache.get("popular_posts_v2", version=3)
    (call,) = p.cache_calls
    prefix = caches["default"].key_prefix
    assert call.versioned_keys == (f"{prefix}:3:popular_posts_v2",)
    assert call.source == f"{__file__}:{line}"
    assert call.line is None and call.entry is None  # called straight from this file
    assert call.thread == threading.current_thread().name
    assert call.start_ms >= 0 and call.duration_ms > 0
    assert call.fragment is call.view is call.request is call.request_number is None
    assert call.error is None and call.computed_ms is None


def test_a_stored_none_is_a_hit_and_a_default_a_miss(locmem):
    with kit.profile() as p:
        cache.set("nothing", None)
        stored = cache.get("nothing", "default")
        missing = cache.get("absent", "default")
        missing_kw = cache.get(key="absent", default=0)
    assert (stored, missing, missing_kw) == (None, "default", 0)  # the application's values
    assert [c.hit for c in p.cache_calls[1:]] == [(True,), (False,), (False,)]


def test_nested_calls_are_counted_once_as_the_applications_call(locmem):
    # BaseCache.get_many calls get() per key, get_or_set calls get() and add(), decr calls
    # incr(): only the outermost call is the application's.
    with kit.profile() as p:
        cache.get_many(["x", "y", "z"])
        cache.get_or_set("x", 1)
        cache.set("n", 5)
        cache.decr("n")
        "n" in cache  # noqa: B015 - __contains__ is has_key()
    assert [c.op for c in p.cache_calls] == ["get_many", "get_or_set", "set", "decr", "has_key"]
    assert p.cache_calls[0].hit == (False, False, False)


def test_calls_inside_get_or_sets_default_are_the_applications(locmem):
    def compute():
        return (cache.get("inner") or 0) + 1

    with kit.profile() as p:
        value = cache.get_or_set("outer", compute)
    assert value == 1
    inner, outer = p.cache_calls  # the inner call returned first
    assert (inner.op, inner.keys, outer.op, outer.keys) == (
        "get",
        ("inner",),
        "get_or_set",
        ("outer",),
    )
    start, end = outer.computed_ms
    assert outer.start_ms <= start <= inner.start_ms and inner.end_ms <= end <= outer.end_ms
    assert outer.hit == (False,)


def test_every_thread_and_caches_made_before_the_block(locmem):
    ready, go = threading.Event(), threading.Event()

    def worker():
        early = caches["default"]  # this thread's own instance, made before the block
        early.get("warm-up")
        ready.set()
        go.wait()
        early.set("from_thread", 1)
        caches["other"].get("from_thread")

    thread = threading.Thread(target=worker, name="early-worker")
    thread.start()
    ready.wait()
    with kit.profile() as p:
        go.set()
        thread.join()
        cache.get("from_main")
    by_thread = {(c.thread, c.alias, c.op) for c in p.cache_calls}
    assert by_thread == {
        ("early-worker", "default", "set"),
        ("early-worker", "other", "get"),
        (threading.current_thread().name, "default", "get"),
    }


def test_async_calls_are_one_call_each_from_the_awaiting_line(locmem):
    async def view():
        await cache.aset("a", 1)
        found = await cache.aget("a")
        made = await cache.aget_or_set("b", lambda: 2)
        return found, made

    line = inspect.getsourcelines(view)[1] + 1
    with kit.profile() as p:
        assert asyncio.run(view()) == (1, 2)
    assert ops(p) == [
        ("set", ("a",), None),
        ("get", ("a",), (True,)),
        ("get_or_set", ("b",), (False,)),
    ]
    assert [c.source for c in p.cache_calls] == [f"{__file__}:{line + i}" for i in range(3)]


def test_hooks_come_off_after_the_block_on_error_and_interrupt(locmem):
    own_get = LocMemCache.__dict__["get"]
    for exception in (ValueError, KeyboardInterrupt):
        with pytest.raises(exception), kit.profile() as p:
            assert hooked_classes() == [LocMemCache]
            assert LocMemCache.__dict__["get"] is not own_get
            assert "get_many" in LocMemCache.__dict__  # inherited: hooked on the class itself
            cache.get("k")
            raise exception
        assert p.cache_call_count == 1
        assert hooked_classes() == [] and cache_classes_with_hooks() == []
        assert LocMemCache.__dict__["get"] is own_get
        assert "get_many" not in LocMemCache.__dict__
    with kit.profile() as later:
        pass
    cache.get("after")  # outside any block: recorded nowhere
    assert later.cache_calls == [] and p.cache_call_count == 1


def test_blocks_that_overlap_each_record_and_unhook_in_any_order(locmem):
    first, second = ExitStack(), ExitStack()
    outer = first.enter_context(capture_cache_calls())
    cache.get("both")
    inner = second.enter_context(capture_cache_calls())
    cache.get("both-again")
    first.close()  # the first block ends before the second: not last in, first out
    assert hooked_classes() == [LocMemCache]
    cache.get("second-only")
    second.close()
    assert hooked_classes() == [] and cache_classes_with_hooks() == []
    assert [c.keys[0] for c in outer.records()] == ["both", "both-again"]
    assert [c.keys[0] for c in inner.records()] == ["both-again", "second-only"]


def test_cache_aliases_to_record(locmem):
    with kit.profile(cache="other") as only_other:
        cache.get("a")
        caches["other"].get("b")
    with kit.profile(cache=False) as none:
        assert hooked_classes() == []
        cache.get("a")
    with kit.profile() as both:
        cache.get("a")
        caches["other"].get("b")
    assert [(c.alias, c.keys) for c in only_other.cache_calls] == [("other", ("b",))]
    assert none.cache_calls == [] and none.cache_call_count == 0
    assert [c.alias for c in both.cache_calls] == ["default", "other"]
    message = "Unknown cache alias 'sessions': settings.CACHES defines 'default', 'other'; use"
    with pytest.raises(UnknownAliasError, match=re.escape(message)), kit.profile(cache="sessions"):
        pass


def test_an_instance_made_outside_caches_is_known_by_its_location(locmem):
    made_by_hand = caches.create_connection("other")  # not stored in caches
    with kit.profile() as p:
        made_by_hand.get("k")
        LocMemCache("unconfigured", {}).get("k")  # no alias has this location: not recorded
    assert [(c.alias, c.keys) for c in p.cache_calls] == [("other", ("k",))]


def test_past_the_cap_calls_are_counted_per_key_pattern(locmem):
    with kit.profile(cap=3) as p:
        for i in range(10):
            cache.get(f"user_{i}")
    assert len(p.cache_calls) == 3 and p.cache_call_count == 10
    (counter,) = p.cache_overflow
    assert (counter.alias, counter.op, counter.pattern) == ("default", "get", "user_{n}")
    assert (counter.count, counter.hits, counter.misses) == (7, 0, 7)
    assert p.cache_totals.misses == 10
    (stats,) = p.by_cache_pattern
    assert (stats.pattern, stats.calls, stats.misses) == ("user_{n}", 10, 10)


@pytest.mark.urls("tests.cache_urls")
def test_page_and_fragment_calls_name_their_view_fragment_and_request(locmem):
    client = Client()
    with kit.profile() as p:
        first = client.get("/popular/")
        second = client.get("/popular/")
        client.get("/fragment/?stamp=1")
    assert first.content == second.content
    page_calls = [c for c in p.cache_calls if c.view == "tests.cache_urls.popular"]
    assert {c.request for c in page_calls} == {"GET /popular/"}
    assert [c.request_number for c in page_calls] == [1, 1, 1, 2, 2]
    # Request 1: header list missed, then the header list and the page stored; request 2: the
    # header list and the page found.
    assert [(c.op, c.hits) for c in page_calls] == [
        ("get", 0), ("set", 0), ("set", 0), ("get", 1), ("get", 1)
    ]  # fmt: skip
    fragment_calls = [c for c in p.cache_calls if c.fragment]
    assert [c.op for c in fragment_calls] == ["get", "set"]
    assert {c.fragment for c in fragment_calls} == {"top_posts (<unknown source>:2)"}
    assert {c.vary_on for c in fragment_calls} == {("'1'",)}
    assert {c.request for c in fragment_calls} == {"GET /fragment/?stamp=1"}
    assert {c.view for c in fragment_calls} == {"tests.cache_urls.fragment"}


def test_the_database_caches_own_queries_are_profiled_too(cache_table):
    with override_settings(CACHES={"default": settings_for(DATABASE)}), kit.profile() as p:
        cache.set("k", 1)
        cache.get("k")
    assert [c.op for c in p.cache_calls] == ["set", "get"]
    data = [q for q in p.queries if "SAVEPOINT" not in q.sql]
    assert len(data) >= 3 and all(CACHE_TABLE in q.sql for q in data)
    assert {q.vendor for q in p.queries} == {connection.vendor}
    # Each ran inside a cache call: the cache's findings do not take them for the application's.
    timeline = BlockTimeline(p.queries, p.cache_calls)
    thread = threading.current_thread().name
    assert all(timeline.call_around(thread, q.start_ms) for q in p.queries)
    assert timeline.queries_between(thread, 0.0, float("inf")) == []


def test_incr_version_is_one_call(locmem):
    cache.set("k", 1)
    with kit.profile() as p:
        assert cache.incr_version("k") == 2
    assert [(c.op, c.keys) for c in p.cache_calls] == [("incr_version", ("k",))]


def test_an_alias_whose_backend_cannot_be_imported_does_not_stop_a_profile():
    broken = {"BACKEND": "no_such_package.Cache"}
    with override_settings(CACHES={"default": settings_for(LOCMEM), "broken": broken}):
        with kit.profile() as p:
            cache.get("k")
        assert [c.alias for c in p.cache_calls] == ["default"]


def test_a_cache_page_view_called_directly_is_named_from_its_decorator(locmem):
    # No URL resolution here (no resolver_match): the view is read from cache_page's wrapper.
    request = RequestFactory().get("/popular/?page=2")
    with kit.profile() as p:
        cache_urls.popular(request)
    assert {(c.view, c.request) for c in p.cache_calls} == {
        ("tests.cache_urls.popular", "GET /popular/?page=2")
    }
