"""Where a query came from, as the reader names it: "line 4", "views.py:12 (cell line 3)",
"blog/post_list.html:9" (a template line, a serializer field, an admin column).

The one place that formats a query's origin: findings, budgets, the query table and the
figures' N+1 labels all call it.
"""

from __future__ import annotations

import os
from typing import Protocol

__all__ = ["file_place", "group_place", "record_place", "where"]


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


def file_place(source_file: str | None, lineno: int | None) -> str | None:
    """ "views.py:12": the file's base name and the line; None without a file."""
    if source_file is None:
        return None
    return f"{os.path.basename(source_file)}:{lineno}"


def where(
    source_file: str | None, lineno: int | None, line: int | None, cell_filename: str | None
) -> str:
    """ "line 4" in the profiled cell, "views.py:12 (cell line 3)" in code the cell called."""
    if source_file is not None and source_file != cell_filename:
        place = f"{file_place(source_file, lineno)}"
        return place + (f" (cell line {line})" if line is not None else "")
    if line is not None:
        return f"line {line}"
    if lineno is not None:
        return f"line {lineno}"
    return "an unknown line"


def record_place(record: _Placed, cell_filename: str | None) -> str:
    """where() for a QueryRecord; where Django rendered it from comes first (a template line,
    a serializer field, an admin column), as the user's line behind it."""
    rendered = record.rendered_from
    if rendered is not None:
        return rendered + (f" (cell line {record.line})" if record.line is not None else "")
    return where(record.source_file, record.source_lineno, record.line, cell_filename)


def group_place(group: _Grouped) -> str:
    """A group's short name in figures and comparisons: where Django rendered it from
    ("blog/post_list.html:9"), else "line 3" (its cell line), else "views.py:12" (its
    source), else "an unknown line"."""
    if group.rendered_from is not None:
        return group.rendered_from
    if group.line is not None:
        return f"line {group.line}"
    if group.source is None:
        return "an unknown line"
    path, _, lineno = group.source.rpartition(":")
    return f"{file_place(path, int(lineno) if lineno.isdigit() else None)}"
