"""The capture layer's cheap per-query forms give back exactly what the frames said."""

from __future__ import annotations

import gc
import inspect
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from types import FrameType
from typing import Any

import pytest
from django.db import connection

import kit
from kit.capture import codes
from kit.capture.frames import line_at
from kit.capture.rows import COUNT, VALUES, row_starts
from sample_app.blog.models import Post

pytestmark = pytest.mark.django_db


def _lines_on_stack(frame: FrameType | None) -> list[tuple[int | None, int | None]]:
    pairs = []
    while frame is not None:
        pairs.append((frame.f_lineno, line_at(frame.f_code, frame.f_lasti)))
        frame = frame.f_back
    return pairs


def _generator_lines():  # type: ignore[no-untyped-def]
    yield _lines_on_stack(sys._getframe())


def test_line_at_is_f_lineno_on_every_frame_of_a_stack():
    pairs = _lines_on_stack(sys._getframe())
    pairs += next(_generator_lines())
    pairs += [p for f in [sys._getframe()] for p in _lines_on_stack(f)]  # a comprehension
    assert len(pairs) > 10
    assert [a for a, _ in pairs] == [b for _, b in pairs]


def test_a_query_line_is_read_from_the_code_when_the_record_is_built():
    line = inspect.currentframe().f_lineno + 4
    with kit.profile(cell_filename=__file__) as p:
        Post.objects.filter(
            pk=1,
        ).exists()
    (query,) = p.queries
    # The statement spans three lines: like f_lineno, the record has the one CPython gives the
    # running call (the line of `.exists()`).
    assert (query.source_lineno, query.line) == (line, line)


def test_rows_hold_nothing_the_garbage_collector_keeps_tracking():
    with kit.profile() as p, connection.cursor() as cursor:
        list(Post.objects.all()[:2])
        Post.objects.first().author  # noqa: B018 - a lazy foreign key, with its relation
        cursor.execute("SELECT %s, %s", ["a", 2])
        cursor.execute("SELECT 1")
        rows = p._source.rows
        starts = list(row_starts(rows))
    gc.collect()
    assert len(starts) == 5 == p.query_count
    # One flat list: no container per query, and none inside it.
    assert not any(gc.is_tracked(item) for item in rows)
    third = starts[3]
    assert rows[third + COUNT] == 2 and rows[third + VALUES : third + VALUES + 2] == ["a", 2]
    assert [q.params for q in p.queries[3:]] == [("a", 2), None]
    assert p.queries[2].relation is not None


def _young_growth(block: Callable[[], AbstractContextManager[Any]]) -> int:
    """How much the collector's young generation grows over 300 queries in block (fewest of
    three tries: Django's own caches grow now and then)."""
    grown = []
    for _ in range(3):
        with block():
            Post.objects.count()
            gc.collect()
            gc.disable()
            try:
                before = gc.get_count()[0]
                for _ in range(300):
                    # No parameters: a driver's own values can be tracked objects the record
                    # keeps as they are (psycopg's Int4), the kit's containers are what is
                    # counted here.
                    Post.objects.count()
                grown.append(gc.get_count()[0] - before)
            finally:
                gc.enable()
    return min(grown)


def test_a_loop_of_queries_adds_no_container_for_the_collector():
    """Each container kept per query would bring the collector's passes sooner (rows.py)."""
    bare = _young_growth(nullcontext)
    profiled = _young_growth(kit.profile)
    assert profiled < bare + 30, (profiled, bare)  # a tuple per query made it bare + 300


def test_code_kinds_start_over_past_their_limit(monkeypatch):
    monkeypatch.setattr(codes, "MAX_CODES", len(codes._kept) + 1)
    frame = sys._getframe()
    codes.learn(frame)
    assert codes.kind_by_code[id(frame.f_code)] is codes.USER
    codes.learn(frame)  # over the limit: forgets everything, then learns this one again
    assert list(codes.kind_by_code) == [id(frame.f_code)]
    assert codes._kept == [frame.f_code]
