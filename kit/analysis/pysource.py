"""Python source text as an `ast` tree, parsed once per text, for the modules that read code."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

__all__ = ["parse_source"]

# IPython lines that are not Python: a magic (%, %%) or a shell escape (!).
_MAGIC = re.compile(r"^\s*(%|!)")


@lru_cache(maxsize=64)
def parse_source(source: str | None) -> ast.Module | None:
    """The parsed source (a file's or a cell's), IPython magics blanked so line numbers stay
    the same; None for no text or text that is not Python."""
    if not source:
        return None
    lines = ["" if _MAGIC.match(line) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None
