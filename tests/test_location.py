"""Where a query came from, in words: the one formatter that findings, budgets, the query
table and the figures' labels share (kit.analysis.location)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kit.analysis.location import file_place, group_place, record_place, where

CELL = "/tmp/ipykernel_1/3412441101.py"


@pytest.mark.parametrize(
    ("source_file", "lineno", "line", "expected"),
    [
        (CELL, 4, 4, "line 4"),
        ("/app/blog/views.py", 12, 3, "views.py:12 (cell line 3)"),
        ("/app/blog/views.py", 12, None, "views.py:12"),
        (None, None, 5, "line 5"),
        (CELL, 7, None, "line 7"),
        (None, None, None, "an unknown line"),
    ],
)
def test_where(source_file, lineno, line, expected):
    assert where(source_file, lineno, line, CELL) == expected
    record = SimpleNamespace(source_file=source_file, source_lineno=lineno, line=line)
    assert record_place(record, CELL) == expected


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("/app/blog/views.py:12", 3, "line 3"),
        ("/app/blog/views.py:12", None, "views.py:12"),
        (None, None, "an unknown line"),
    ],
)
def test_group_place_names_the_cell_line_first(source, line, expected):
    assert group_place(SimpleNamespace(source=source, line=line)) == expected


def test_file_place():
    assert file_place("/a/b/models.py", 40) == "models.py:40"
    assert file_place(None, 40) is None
