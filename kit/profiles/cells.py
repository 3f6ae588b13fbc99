"""Which notebook cell holds a code file: IPython's own mapping, read after a profiled block.

IPython compiles each cell into a file named after a hash of its code (ipykernel:
"/tmp/ipykernel_1/3412441101.py"); its compiler remembers the execution count behind each name
and its tracebacks print "Cell In[3]" from that (`CachingCompiler.format_code_name`). The kit
reads the same mapping, so a query from a function another cell defined says "cell [3]".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

_CELL_NAME = re.compile(r"In\s*\[(\d+)\]")


def _code_namer() -> Callable[[str], Any] | None:
    """IPython's format_code_name, when this process runs an IPython shell."""
    # Never imports IPython: a script that did not load it has no cells.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(getattr(shell, "compile", None), "format_code_name", None)


def cell_numbers(files: Callable[[], Iterable[str | None]]) -> dict[str, int]:
    """The execution count of each file (from `files()`) that holds a notebook cell.

    {} outside IPython, without calling files(): a script never builds its records for this.
    """
    name_of = _code_namer()
    if name_of is None:
        return {}
    numbers = {}
    for path in set(files()):
        if path is None:
            continue
        named = name_of(path)  # ("Cell", "In[3]"), or None for an ordinary file
        found = _CELL_NAME.fullmatch(named[1]) if named else None
        if found:
            numbers[path] = int(found[1])
    return numbers
