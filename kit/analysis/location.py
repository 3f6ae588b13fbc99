"""Where a query came from, as the reader names it: "line 4", "cell [3], line 6", "views.py:12",
"blog/post_list.html:9" (a template line, a serializer field, an admin column).

The one place that formats a query's origin: findings, budgets, the query table and the
figures' N+1 labels all call it. Code defined in another notebook cell lives in a file IPython
names after a hash ("/tmp/ipykernel_1/3412441101.py"); `cells` maps such files to the cell's
execution count (IPython's own mapping, read by kit.profiles.cells), so it reads "cell [3]".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

__all__ = ["CellNumbers", "file_place", "group_place", "record_place", "where"]

# A notebook's code files -> the execution count of the cell each holds.
CellNumbers = Mapping[str, int]
_NO_CELLS: CellNumbers = {}


class _Placed(Protocol):
    @property
    def source_file(self) -> str | None: ...
    @property
    def source_lineno(self) -> int | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def rendered_from(self) -> str | None: ...


class _Grouped(Protocol):
    @property
    def source(self) -> str | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def rendered_from(self) -> str | None: ...


def file_place(
    source_file: str | None, lineno: int | None, cells: CellNumbers = _NO_CELLS
) -> str | None:
    """ "cell [3], line 6" for another cell's code, "views.py:12" for a file; None without one."""
    if source_file is None:
        return None
    number = cells.get(source_file)
    if number is not None:
        return f"cell [{number}], line {lineno}"
    return f"{os.path.basename(source_file)}:{lineno}"


def where(
    source_file: str | None,
    lineno: int | None,
    line: int | None,
    cell_filename: str | None,
    cells: CellNumbers = _NO_CELLS,
) -> str:
    """ "line 4" in the profiled cell; "views.py:12 (called from line 3)" in code it called."""
    if source_file is not None and source_file != cell_filename:
        place = f"{file_place(source_file, lineno, cells)}"
        return place + (f" (called from line {line})" if line is not None else "")
    if line is not None:
        return f"line {line}"
    if lineno is not None:
        return f"line {lineno}"
    return "an unknown line"


def record_place(
    record: _Placed, cell_filename: str | None, cells: CellNumbers = _NO_CELLS
) -> str:
    """where() for a QueryRecord; where Django rendered it from comes first (a template line,
    a serializer field, an admin column), as the user's line behind it."""
    rendered = record.rendered_from
    if rendered is not None:
        return rendered + (f" (called from line {record.line})" if record.line is not None else "")
    return where(record.source_file, record.source_lineno, record.line, cell_filename, cells)


def group_place(group: _Grouped, cells: CellNumbers = _NO_CELLS) -> str:
    """A group's short name in figures and comparisons: where Django rendered it from
    ("blog/post_list.html:9"), else "line 3" (its cell line), else "cell [3], line 6" or
    "views.py:12" (its source), else "an unknown line"."""
    if group.rendered_from is not None:
        return group.rendered_from
    if group.line is not None:
        return f"line {group.line}"
    if group.source is None:
        return "an unknown line"
    path, _, lineno = group.source.rpartition(":")
    return f"{file_place(path, int(lineno) if lineno.isdigit() else None, cells)}"
