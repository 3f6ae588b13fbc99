"""%%orm_profile on cells with top-level await, async for and async with, through a real shell:
run as IPython runs them without the magic, profiled, last value shown, errors re-raised."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from kit.capture import installed_query_hooks
from sample_app.blog.models import Post
from tests.test_magic import all_html, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def shell(ip_shell) -> Iterator[object]:
    """The test shell; afterwards, the connection asgiref's executor thread opened is closed."""
    yield ip_shell
    ip_shell.user_ns["_close"] = sync_to_async(connections.close_all)
    ip_shell.run_cell("await _close()")


ASYNC_CELL = (
    "%%orm_profile -o prof\n"
    "from sample_app.blog.models import Post\n"
    "titles = [p.title async for p in Post.objects.order_by('pk')[:3]]\n"
    "first = await Post.objects.order_by('pk').afirst()\n"
    "await Post.objects.filter(pk=first.pk).acount()\n"
)


def test_a_cell_with_top_level_await_is_profiled_and_shows_its_last_value(shell):
    result, captured = run(shell, ASYNC_CELL)
    result.raise_error()
    profile = shell.user_ns["prof"]
    assert [(q.trigger, q.line) for q in profile.queries] == [
        ("async for", 3),
        ("afirst", 4),
        ("acount", 5),
    ]
    assert {q.execution for q in profile.queries} == {"async"}
    assert len(shell.user_ns["titles"]) == 3
    assert "3 queries" in all_html(captured)
    assert captured.stdout.strip().endswith("1")  # the last expression, awaited and shown
    assert installed_query_hooks() == []


def test_the_same_cell_runs_as_without_the_magic(shell):
    body = ASYNC_CELL.split("\n", 1)[1]
    plain, plain_out = run(shell, body)
    plain.raise_error()
    plain_titles = shell.user_ns.pop("titles")
    profiled, profiled_out = run(shell, ASYNC_CELL)
    profiled.raise_error()
    assert shell.user_ns["titles"] == plain_titles
    # IPython shows the last value of both (Out[n]: 1); the profiled cell adds its profile.
    assert plain_out.stdout.strip().endswith(": 1")
    assert profiled_out.stdout.strip().endswith(": 1")
    assert shell.user_ns["prof"].query_count == 3


def test_async_with_and_an_async_n_plus_one(shell):
    cell = (
        "%%orm_profile -o prof\n"
        "import contextlib\n"
        "from sample_app.blog.models import Comment, Post\n"
        "@contextlib.asynccontextmanager\n"
        "async def opened():\n"
        "    yield\n"
        "async with opened():\n"
        "    async for c in Comment.objects.order_by('pk')[:5]:\n"
        "        await Post.objects.aget(pk=c.post_id)\n"
    )
    result, _ = run(shell, cell)
    result.raise_error()
    profile = shell.user_ns["prof"]
    assert profile.query_count == 6
    (finding,) = [f for f in profile.findings if f.kind == "n_plus_one"]
    assert finding.line == 9 and len(finding.record_ids) == 5


def test_an_exception_is_raised_again_after_the_partial_profile(shell):
    cell = (
        "%%orm_profile -o prof\n"
        "from sample_app.blog.models import Post\n"
        "await Post.objects.acount()\n"
        "1 / 0\n"
    )
    result, captured = run(shell, cell)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert shell.user_ns["prof"].query_count == 1
    assert "stopped by ZeroDivisionError" in all_html(captured)
    assert installed_query_hooks() == []


def test_repeat_is_refused_for_an_async_cell_in_one_line(shell):
    result, _ = run(shell, "%%orm_profile --repeat 3\nawait Post.objects.acount()\n")
    assert result.error_in_exec is not None
    assert "run the cell without --repeat" in str(result.error_in_exec)
    assert Post.objects.exists()


def test_a_sync_cell_is_left_to_the_magic(shell):
    transformed = shell.transform_cell("%%orm_profile\nPost.objects.count()\n")
    assert transformed.startswith("get_ipython().run_cell_magic('orm_profile'")
    transformed = shell.transform_cell("%%orm_profile --quiet\nawait Post.objects.acount()\n")
    assert transformed.startswith("await get_ipython().find_cell_magic('orm_profile')")
    assert "'--quiet'" in transformed
