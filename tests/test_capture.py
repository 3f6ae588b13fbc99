"""kit.profile() in scripts and tests: exact counts, every alias, threads, the cap, errors."""

from __future__ import annotations

import inspect
import threading

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

import kit
from kit.capture import suppress_capture
from sample_app.blog.models import Comment, Post, Tag
from sample_app.workloads import n_plus_one_loop, optimized_loop

pytestmark = pytest.mark.django_db


def test_n_plus_one_count_is_exact_and_matches_django():
    with CaptureQueriesContext(connection) as django_log, kit.profile() as p:
        n_plus_one_loop()
    posts, comments = Post.objects.count(), Comment.objects.count()
    assert posts > 10 and comments > 10
    # 1 for the posts, then per post: author, category, comments; then per comment: user.
    assert p.query_count == 1 + 3 * posts + comments
    assert p.query_count == len(django_log)
    assert len(p.queries) == p.query_count


def test_optimized_loop_count_matches_django():
    with CaptureQueriesContext(connection) as django_log, kit.profile() as p:
        result = optimized_loop()
    assert sorted(result) == sorted(n_plus_one_loop())  # no ORDER BY: any order
    assert p.query_count == len(django_log) == 3


@pytest.mark.filterwarnings("ignore:Limit for query logging exceeded")
def test_counts_past_djangos_9000_entry_query_log():
    total = 9_500
    with (
        CaptureQueriesContext(connection) as django_log,
        kit.profile() as p,
        connection.cursor() as cursor,
    ):
        for i in range(total):
            cursor.execute("SELECT %s", [i])
    assert p.query_count == total
    assert len(django_log) < total  # Django's own log stops at 9,000 entries


def test_record_fields_are_plain_data_with_placeholders():
    line = inspect.currentframe().f_lineno + 2
    with kit.profile() as p:
        Post.objects.filter(pk=3).exists()
    (query,) = p.queries
    assert "%s" in query.sql and "blog_post" in query.sql
    assert list(query.params)[-1] == 3
    assert query.alias == "default"
    assert query.vendor == connection.vendor
    assert query.duration_ms > 0 and query.start_ms >= 0
    assert query.source == f"{__file__}:{line}"
    assert query.line is None  # no cell: the line is the notebook cell's, not a file's
    assert query.entry == "QuerySet.exists"
    assert query.thread == threading.current_thread().name
    assert p.db_time_ms == pytest.approx(query.duration_ms)
    assert p.wall_time_ms >= query.duration_ms


def test_profile_times_add_up():
    with kit.profile() as p:
        n_plus_one_loop()
    assert p.db_time_ms == pytest.approx(sum(q.duration_ms for q in p.queries))
    assert p.wall_time_ms > p.db_time_ms
    starts = [q.start_ms for q in p.queries]
    assert starts == sorted(starts)


@pytest.mark.django_db(databases=["default", "other"])
def test_every_alias_by_default_and_one_with_using():
    def both() -> None:
        Post.objects.count()
        with connections["other"].cursor() as cursor:
            cursor.execute("SELECT 1")

    with kit.profile() as everything:
        both()
    with kit.profile(using="default") as default_only:
        both()
    assert sorted(q.alias for q in everything.queries) == ["default", "other"]
    assert [q.alias for q in default_only.queries] == ["default"]


def test_unknown_alias_is_one_clear_error():
    with (
        pytest.raises(kit.UnknownAliasError, match=r"'replica'.*'default'"),
        kit.profile("replica"),
    ):
        pass


def test_queries_from_threads_started_inside_are_captured_and_tagged():
    def worker() -> None:
        try:
            list(Post.objects.all()[:3])
        finally:
            connections.close_all()

    with kit.profile() as p:
        thread = threading.Thread(target=worker, name="worker-1")
        thread.start()
        thread.join()
        Post.objects.count()
    assert p.query_count == 2
    assert {q.thread for q in p.queries} == {"worker-1", threading.current_thread().name}


def test_past_the_cap_queries_are_counted_per_fingerprint():
    with kit.profile(cap=100) as p, connection.cursor() as cursor:
        for i in range(250):
            cursor.execute("SELECT %s", [i])
        for i in range(50):
            cursor.execute("SELECT %s + 1", [i])
    assert p.query_count == 300
    assert len(p.queries) == 100
    assert p.counted_only == 200
    assert sorted(c.count for c in p.overflow) == [50, 150]
    assert p.db_time_ms == pytest.approx(
        sum(q.duration_ms for q in p.queries) + sum(c.total_ms for c in p.overflow)
    )


def test_failed_query_is_recorded_with_its_error():
    with pytest.raises(DatabaseError), kit.profile() as p, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert p.query_count == 1
    assert "no_such_table" in p.queries[0].error
    assert p.error.split(":")[0] in {"OperationalError", "ProgrammingError"}


def test_keyboard_interrupt_removes_every_hook():
    with pytest.raises(KeyboardInterrupt), kit.profile() as p:
        Post.objects.count()
        raise KeyboardInterrupt
    assert p.query_count == 1
    assert p.error == "KeyboardInterrupt: "
    assert connection.execute_wrappers == []


def test_executemany_with_a_generator_still_inserts_every_row():
    rows = ((f"gen-{i}", f"gen-{i}") for i in range(3))
    with kit.profile() as p, connection.cursor() as cursor:
        cursor.executemany("INSERT INTO blog_tag (name, slug) VALUES (%s, %s)", rows)
    assert Tag.objects.filter(name__startswith="gen-").count() == 3
    (query,) = p.queries
    assert query.many is True
    assert len(query.params) == 3


def test_nested_profiles_both_count_and_suppressed_queries_are_invisible():
    with kit.profile() as outer:
        Post.objects.count()
        with kit.profile() as inner:
            Post.objects.count()
        with suppress_capture():
            Post.objects.count()
    assert (outer.query_count, inner.query_count) == (2, 1)


def test_profile_text_and_html_show_the_numbers():
    with kit.profile() as p:
        list(Post.objects.all()[:2])
    text, html = repr(p), p._repr_html_()
    assert text.splitlines()[0].startswith("1 query · ")
    assert "blog_post" in text
    assert "<table>" in html and "1 query" in html and "blog_post" in html
    # Plain HTML: no script, no classes; styles only align text against JupyterLab's CSS.
    assert "<script" not in html and "class=" not in html


def test_connection_setup_queries_are_not_the_blocks():
    """A block that opens its connection counts its own queries only (MySQL runs SETs first)."""
    seen: dict[str, int] = {}

    def count_everything(execute, sql, params, many, context):
        seen["all"] = seen.get("all", 0) + 1
        return execute(sql, params, many, context)

    def worker() -> None:
        # A new thread has its own connection objects, not yet connected.
        try:
            with connection.execute_wrapper(count_everything), kit.profile() as p:
                Post.objects.count()
            seen["kit"] = p.query_count
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["kit"] == 1
    if connection.vendor == "mysql":
        assert seen["all"] > 1  # the session's SET statements ran, and were left out
