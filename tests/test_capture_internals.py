"""The capture layer's cheap per-query forms give back exactly what the frames said."""

from __future__ import annotations

import gc
import inspect
import sys
from types import FrameType

import pytest
from django.db import connection

import kit
from kit.capture import codes
from kit.capture.frames import line_at
from kit.capture.rows import PARAMS, VALUES
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
        rows = list(p._source.rows)
    gc.collect()
    assert len(rows) == 5
    assert not any(gc.is_tracked(row) for row in rows)
    assert rows[3][PARAMS] is ... and rows[3][VALUES:] == ("a", 2)
    assert [q.params for q in p.queries[3:]] == [("a", 2), None]
    assert p.queries[2].relation is not None


def test_code_kinds_start_over_past_their_limit(monkeypatch):
    monkeypatch.setattr(codes, "MAX_CODES", len(codes._kept) + 1)
    frame = sys._getframe()
    codes.learn(frame)
    assert codes.kind_by_code[id(frame.f_code)] is codes.USER
    codes.learn(frame)  # over the limit: forgets everything, then learns this one again
    assert list(codes.kind_by_code) == [id(frame.f_code)]
    assert codes._kept == [frame.f_code]
