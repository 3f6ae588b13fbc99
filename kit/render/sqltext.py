"""SQL as people read it: a one-line summary for tables, an indented form for details."""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache
from html import escape

import sqlparse

_SPACE = re.compile(r"\s+")
# Hover boxes stay narrower than the figures: about 60 characters a line.
HOVER_WIDTH = 60
HOVER_LINES = 6
# Django lists every column: "SELECT a, b, c, ... FROM". The column list says little in a table
# row; the FROM/WHERE part tells queries apart.
_SELECT_LIST = re.compile(r"^(SELECT\s+(?:DISTINCT\s+)?)(.{60,}?)(\s+FROM\s)", re.I | re.S)


def one_line(sql: str) -> str:
    """The SQL on one line, whitespace folded."""
    return _SPACE.sub(" ", sql).strip()


def summarize_sql(sql: str, width: int = 120) -> str:
    """A one-line summary: long column lists elided, cut at width characters with an ellipsis."""
    text = _SELECT_LIST.sub(r"\1…\3", one_line(sql), count=1)
    return text if len(text) <= width else text[: width - 1] + "…"


@lru_cache(maxsize=1024)
def format_sql(sql: str) -> str:
    """The SQL indented one clause per line (sqlparse), for a details view."""
    return sqlparse.format(sql, reindent=True, keyword_case="upper").strip()


def format_params(params: object, width: int = 200) -> str:
    """The params as Python shows them, cut at width characters."""
    text = repr(params)
    return text if len(text) <= width else text[: width - 1] + "…"


def hover_sql(sql: str, width: int = HOVER_WIDTH, lines: int = HOVER_LINES) -> str:
    """SQL for a hover box: wrapped at spaces, at most `lines` lines, plotly's markup escaped.

    Plotly decodes &amp;, &lt; and &gt; but shows &quot; as typed, so quotes stay as they are;
    "%{" would start a template field.
    """
    wrapped = textwrap.wrap(sql, width, break_long_words=False, break_on_hyphens=False)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], wrapped[lines - 1] + " …"]
    return "<br>".join(escape(line, quote=False).replace("%{", "% {") for line in wrapped)


# A word of SQL for wrapping: a quoted name or string whole (spaces and all), else a run of
# anything but spaces. Lines then break between tokens, never inside one.
_WORD = re.compile(r"""(?:'(?:[^']|'')*'|"[^"]*"|`[^`]*`|[^\s'"`]+|['"`])+""")


# A list of 9 or more placeholders or numbers (IN (%s, %s, ...)), and 4 or more identical rows
# (a bulk insert's VALUES (%s, %s), (%s, %s), ...).
_ITEM = r"\s*(?:%s|\?|%\(\w+\)s|-?\d+(?:\.\d+)?)\s*"
_LONG_LIST = re.compile(rf"\(({_ITEM}(?:,{_ITEM}){{8,}})\)")
_SAME_ROWS = re.compile(r"(\([^()]*\))(?:\s*,\s*\1){3,}")


def shorten_lists(sql: str, keep: int = 3) -> str:
    """Long lists of placeholders or numbers cut to their first few and a count, for reading:
    "IN (%s, %s, %s, … 177 in all)", "VALUES (%s, %s), (%s, %s), … 20 rows in all". Laid out
    one item a line, a 177-item IN list took 7 KB."""

    def cut(match: re.Match[str]) -> str:
        items = [item.strip() for item in match[1].split(",")]
        return f"({', '.join(items[:keep])}, … {len(items):,} in all)"

    def rows(match: re.Match[str]) -> str:
        count = match[0].count(match[1])
        return f"{match[1]}, {match[1]}, … {count:,} rows in all"

    return _SAME_ROWS.sub(rows, _LONG_LIST.sub(cut, sql))


def wrap_sql(text: str, width: int = 100) -> str:
    """Each line of (formatted) SQL wrapped at `width` between tokens, continuation lines
    indented under their line; a token longer than the width keeps its own line whole."""
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        current = indent
        for word in _WORD.findall(line):
            if current.strip() and len(current) + 1 + len(word) > width:
                out.append(current)
                current = indent + "    " + word
            else:
                current = f"{current} {word}" if current.strip() else current + word
        out.append(current)
    return "\n".join(out)
