"""Where a query came from, in words: the one formatter that findings, budgets, the query
table and the figures' labels share (kit.analysis.location)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kit.analysis.location import file_place, group_place, record_place, where

CELL = "/tmp/ipykernel_1/3412441101.py"
OTHER_CELL = "/tmp/ipykernel_1/2209918233.py"
CELLS = {OTHER_CELL: 3, CELL: 5}


@pytest.mark.parametrize(
    ("source_file", "lineno", "line", "expected"),
    [
        (CELL, 4, 4, "line 4"),
        ("/app/blog/views.py", 12, 3, "views.py:12 (called from line 3)"),
        (OTHER_CELL, 6, 3, "cell [3], line 6 (called from line 3)"),
        (OTHER_CELL, 6, None, "cell [3], line 6"),
        ("/app/blog/views.py", 12, None, "views.py:12"),
        (None, None, 5, "line 5"),
        (CELL, 7, None, "line 7"),
        (None, None, None, "an unknown line"),
    ],
)
def test_where(source_file, lineno, line, expected):
    assert where(source_file, lineno, line, CELL, CELLS) == expected
    record = SimpleNamespace(
        source_file=source_file, source_lineno=lineno, line=line, rendered_from=None
    )
    assert record_place(record, CELL, CELLS) == expected
    assert "ipykernel" not in expected and ".py:6" not in expected


@pytest.mark.parametrize(
    ("rendered_from", "line", "expected"),
    [
        ("blog/post_list.html:9", 2, "blog/post_list.html:9 (called from line 2)"),
        ("PostSerializer.author", None, "PostSerializer.author"),
        ("PostAdmin.comment_count", None, "PostAdmin.comment_count"),
    ],
)
def test_where_django_rendered_a_query_comes_first(rendered_from, line, expected):
    record = SimpleNamespace(
        source_file="/app/blog/views.py", source_lineno=12, line=line, rendered_from=rendered_from
    )
    assert record_place(record, CELL) == expected


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("/app/blog/views.py:12", 3, "line 3"),
        ("/app/blog/views.py:12", None, "views.py:12"),
        (f"{OTHER_CELL}:6", None, "cell [3], line 6"),
        (None, None, "an unknown line"),
    ],
)
def test_group_place_names_the_cell_line_first(source, line, expected):
    group = SimpleNamespace(source=source, line=line, rendered_from=None)
    assert group_place(group, CELLS) == expected


def test_group_place_names_the_template_line_before_the_cell_line():
    group = SimpleNamespace(source=None, line=2, rendered_from="blog/post_list.html:9")
    assert group_place(group) == "blog/post_list.html:9"


def test_file_place():
    assert file_place("/a/b/models.py", 40) == "models.py:40"
    assert file_place(None, 40) is None
    assert file_place(OTHER_CELL, 6, CELLS) == "cell [3], line 6"
    # Without IPython's mapping, the file's own name is all there is.
    assert file_place(OTHER_CELL, 6) == "2209918233.py:6"
