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
from sample_app.blog.models import Post

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
    assert len(installed_query_hooks()) == 2  # the second's recorder and the cursor hook
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
    """kit.capture.cursor_hook mirrors CursorWrapper._execute_with_wrappers, which execute and
    executemany call; the setup check names BaseDatabaseWrapper.connect."""
    import inspect

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

    mirrored = inspect.getsource(CursorWrapper._execute_with_wrappers)
    assert 'context = {"connection": self.db, "cursor": self}' in mirrored
    assert "for wrapper in reversed(self.db.execute_wrappers):" in mirrored
    for method in (CursorWrapper.execute, CursorWrapper.executemany):
        assert "self._execute_with_wrappers(" in inspect.getsource(method)
    assert "_execute_with_wrappers" not in vars(CursorDebugWrapper)
    assert BaseDatabaseWrapper.connect.__qualname__ == "BaseDatabaseWrapper.connect"
