"""Every query of a block is counted, whatever thread runs it and whenever its connection opened:
thread pools, asgiref's sync_to_async executor (the async ORM), threads started before or during
the block; nested and out-of-order blocks; async code's lines, triggers and N+1 groups."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections

import kit
from kit.capture import installed_query_hooks
from sample_app.blog.models import Comment, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    """One worker thread, connected before any block (its connection closed at the end)."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="pool")
    executor.submit(Post.objects.count).result()
    yield executor
    executor.submit(connections.close_all).result()
    executor.shutdown()


def run_async(main: Callable[[], Any]) -> Any:
    """Run main() as a script does (asyncio.run: the async ORM uses asgiref's executor thread),
    then close the connection that thread opened."""

    async def wrapped() -> Any:
        try:
            return await main()
        finally:
            await sync_to_async(connections.close_all)()

    return asyncio.run(wrapped())


def test_a_pool_worker_connected_before_the_block_is_counted(pool):
    with kit.profile() as p:
        pool.submit(Post.objects.count).result()
        pool.submit(lambda: list(Post.objects.all()[:2])).result()
    assert p.query_count == 2
    assert {q.thread for q in p.queries} == {"pool_0"}


def test_repeated_blocks_count_every_async_query_exactly():
    counts: list[int] = []
    pk = Post.objects.values_list("pk", flat=True).first()

    async def main() -> None:
        for _ in range(3):
            with kit.profile() as p:
                await Post.objects.aget(pk=pk)
                await Post.objects.acount()
            counts.append(p.query_count)

    # The first block connects asgiref's executor thread; the second and third reuse it.
    with kit.profile() as whole:
        run_async(main)
    assert counts == [2, 2, 2]
    assert whole.query_count == 6


def test_threads_started_before_and_during_the_block_are_counted():
    connected, go, done = threading.Event(), threading.Event(), threading.Event()

    def early() -> None:
        try:
            Post.objects.exists()  # connects before the block
            connected.set()
            go.wait()
            Post.objects.count()
        finally:
            connections.close_all()
            done.set()

    def late() -> None:
        try:
            list(Post.objects.all()[:1])
        finally:
            connections.close_all()

    before = threading.Thread(target=early, name="early")
    before.start()
    connected.wait()
    with kit.profile() as p:
        go.set()
        done.wait()
        during = threading.Thread(target=late, name="late")
        during.start()
        during.join()
    before.join()
    assert sorted(q.thread for q in p.queries) == ["early", "late"]


def test_an_alias_named_twice_counts_each_query_once():
    with kit.profile(using=["default", "default"]) as p:
        Post.objects.count()
    assert p.query_count == 1


def test_profiles_exited_out_of_order_each_remove_their_own_hook():
    first, second = kit.profile(), kit.profile()
    outer = first.__enter__()
    inner = second.__enter__()
    Post.objects.count()
    first.__exit__(None, None, None)  # the first one out is not the last one in
    # The second block's recorder, the cursor hooks and the sync_to_async wrapper stay.
    assert installed_query_hooks() == [
        "recorder on ['default', 'other']",
        "CursorWrapper.execute",
        "CursorWrapper.executemany",
        "SyncToAsync.__call__",
    ]
    Post.objects.count()
    second.__exit__(None, None, None)
    assert (outer.query_count, inner.query_count) == (1, 2)
    assert installed_query_hooks() == []


def test_nested_blocks_in_threads_each_see_every_thread(pool):
    with kit.profile() as outer:
        Post.objects.count()
        with kit.profile(using="default") as inner:
            pool.submit(Post.objects.count).result()
    assert (outer.query_count, inner.query_count) == (2, 1)


def test_djangos_assert_num_queries_agrees(django_assert_num_queries):
    with django_assert_num_queries(3), kit.profile() as p:
        Post.objects.count()
        list(Post.objects.all()[:3])
        Post.objects.filter(pk=1).exists()
    assert p.query_count == 3


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_nothing_stays_installed_after_an_error(error, pool):
    with pytest.raises(error), kit.profile() as p:
        pool.submit(Post.objects.count).result()
        raise error
    assert p.query_count == 1
    assert installed_query_hooks() == []
    assert connection.execute_wrappers == []


def test_a_connection_another_thread_opens_in_the_block_counts_its_queries_only():
    seen: dict[str, int] = {}

    def count_everything(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen["all"] = seen.get("all", 0) + 1
        return execute(sql, params, many, context)

    def worker() -> None:
        try:
            with connection.execute_wrapper(count_everything):
                Post.objects.count()
        finally:
            connections.close_all()

    with kit.profile() as p:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert p.query_count == 1
    if connection.vendor == "mysql":
        assert seen["all"] > 1  # the session's SET statements ran, and were left out


def test_the_django_internals_the_hooks_rely_on_are_there():
    """kit.capture.cursor_hook replaces CursorWrapper.execute and executemany, which only call
    _execute_with_wrappers (mirrored for the uncommon case); nothing else in Django's backends
    calls it; the setup check names BaseDatabaseWrapper.connect."""
    import inspect
    import re
    from pathlib import Path

    import django
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

    mirrored = inspect.getsource(CursorWrapper._execute_with_wrappers)
    assert 'context = {"connection": self.db, "cursor": self}' in mirrored
    assert "for wrapper in reversed(self.db.execute_wrappers):" in mirrored
    replaced = {
        CursorWrapper.execute: "self._execute_with_wrappers(sql, params, many=False, "
        "executor=self._execute)",
        CursorWrapper.executemany: "self._execute_with_wrappers(sql, param_list, many=True, "
        "executor=self._executemany)",
    }
    for method, call in replaced.items():
        body = " ".join(inspect.getsource(method).split()).replace("( ", "(").replace(" )", ")")
        assert body.endswith(f"return {call}"), body
        assert body.count("\n") == 0 and body.count("return") == 1
    callers = [
        path
        for path in Path(django.__file__).parent.rglob("*.py")
        if re.search(r"\._execute_with_wrappers\(", path.read_text(encoding="utf-8"))
    ]
    assert [path.name for path in callers] == ["utils.py"]
    assert "_execute_with_wrappers" not in vars(CursorDebugWrapper)
    assert BaseDatabaseWrapper.connect.__qualname__ == "BaseDatabaseWrapper.connect"


def test_a_query_sent_through_a_cursor_by_the_users_code_names_the_cursor_method(db):
    from django.db import connection

    with kit.profile() as p, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.executemany("SELECT %s", [(1,), (2,)]) if connection.vendor != "sqlite" else None
    line = first_line(
        test_a_query_sent_through_a_cursor_by_the_users_code_names_the_cursor_method,
        'cursor.execute("SELECT 1")',
    )
    first = p.queries[0]
    assert (first.entry, first.source_lineno, first.source_file) == (
        "CursorWrapper.execute",
        line,
        __file__,
    )


def first_line(code: Callable[..., Any], text: str) -> int:
    """The line of code's source file that holds text (the line a record must name)."""
    import inspect

    lines, start = inspect.getsourcelines(code)
    return start + next(i for i, line in enumerate(lines) if text in line)


async def aget_per_comment() -> None:
    async for comment in Comment.objects.order_by("pk")[:6]:
        await Post.objects.aget(pk=comment.post_id)


def test_async_queries_carry_the_awaiting_line_trigger_and_thread():
    async def main() -> Any:
        with kit.profile() as p:
            await aget_per_comment()
            post = await Post.objects.order_by("pk").afirst()
            await post.comments.acount()
            await Post.objects.filter(pk=post.pk).aexists()
        return p

    p = run_async(main)
    loop_line = first_line(aget_per_comment, "async for")
    aget_line = first_line(aget_per_comment, "aget(")
    assert [(q.trigger, q.source_lineno) for q in p.queries[:7]] == [
        ("async for", loop_line),
        *[("aget", aget_line)] * 6,
    ]
    assert [q.trigger for q in p.queries[7:]] == ["afirst", "acount", "aexists"]
    assert str(p.queries[8].relation) == "blog.Post.comments"
    assert all(q.source_file == __file__ for q in p.queries)
    assert {q.execution for q in p.queries} == {"async"}
    assert threading.current_thread().name not in {q.thread for q in p.queries}


def test_an_aget_per_row_of_an_async_for_is_an_n_plus_one():
    async def main() -> Any:
        with kit.profile() as p:
            await aget_per_comment()
        return p

    p = run_async(main)
    (finding,) = [f for f in p.findings if f.kind == "n_plus_one"]
    assert finding.line is None  # a file, not a cell: the source names it
    assert f":{first_line(aget_per_comment, 'aget(')}" in finding.message
    assert "in_bulk()" in finding.message
    assert len(finding.record_ids) == 6


def test_a_sync_call_inside_a_coroutine_is_marked(monkeypatch):
    # What a notebook kernel allows (kit.bootstrap) and a deployment refuses.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    async def main() -> Any:
        with kit.profile() as p:
            Post.objects.count()
            await Post.objects.acount()
        return p

    p = run_async(main)
    assert [q.execution for q in p.queries] == ["sync_in_async", "async"]
    assert p.queries[0].thread == threading.current_thread().name
    with kit.profile() as sync:
        Post.objects.count()
    assert sync.queries[0].execution is None


@pytest.mark.django_db(databases=["default", "other"])
def test_async_n_plus_one_on_the_warehouse_gets_the_fix_on_the_outer_queryset():
    """async_to_sync runs the coroutine in its own loop thread and the ORM back in this thread
    (asgiref's thread-sensitive path, as an ASGI server's sync middleware does)."""
    from asgiref.sync import async_to_sync

    from tests.warehouse.data import build
    from tests.warehouse.models import Product

    made = build(products=6)

    async def labels_per_product() -> Any:
        with kit.profile() as p:
            async for product in Product.objects.order_by("pk"):
                [label.text async for label in product.labels.all()]
        return p

    p = async_to_sync(labels_per_product)()
    loop, *per_product = p.queries
    assert loop.trigger == "async for" and len(per_product) == made.products
    assert {str(q.relation) for q in per_product} == {"warehouse.Product.labels"}
    assert {q.thread for q in p.queries} == {threading.current_thread().name}
    assert {q.execution for q in p.queries} == {"async"}
    (finding,) = [f for f in p.findings if f.kind == "n_plus_one"]
    # Written on the loop's own queryset, as for a sync for loop.
    assert finding.suggestion.startswith('Product.objects.order_by("pk")')
    assert finding.suggestion.endswith(".prefetch_related('labels')")


def test_execution_round_trips_through_save_and_older_files_load(tmp_path):
    import json

    async def main() -> Any:
        with kit.profile() as p:
            await Post.objects.acount()
        return p

    p = run_async(main)
    loaded = kit.load(p.save(tmp_path / "async.json"))
    assert [q.execution for q in loaded.queries] == ["async"]
    assert loaded.queries == p.queries
    # A file saved before the field existed loads as sync code.
    data = json.loads((tmp_path / "async.json").read_text())
    text = json.dumps(data)
    assert '"execution": "async"' in text
    (tmp_path / "old.json").write_text(
        text.replace('"execution": "async", ', "").replace(', "execution": "async"', "")
    )
    assert "execution" not in (tmp_path / "old.json").read_text()
    assert [q.execution for q in kit.load(tmp_path / "old.json").queries] == [None]


def test_the_timeline_marks_each_threads_queries(pool):
    from kit.render.timeline import render_timeline

    with kit.profile() as p:
        Post.objects.count()
        pool.submit(Post.objects.count).result()
    figure = render_timeline(p)
    (trace,) = figure.data  # one shape, two threads
    assert list(trace.marker.symbol) == [1, 2]  # a square for the first thread, a diamond
    assert "threads: ■ MainThread, ◆ pool_0" in figure.layout.title.subtitle.text
    with kit.profile() as one:
        Post.objects.count()
    assert render_timeline(one).data[0].marker.symbol == "square"
