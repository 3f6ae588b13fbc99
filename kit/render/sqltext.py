"""SQL as people read it: a one-line summary for tables, an indented form for details."""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache
from html import escape

import sqlparse
from sqlparse.exceptions import SQLParseError

from kit.analysis.redaction import RedactedParams
from kit.analysis.sqltokens import BLANK_KINDS, Token, tokens

_SPACE = re.compile(r"\s+")
# Hover boxes stay narrower than the figures: about 60 characters a line.
HOVER_WIDTH = 60
HOVER_LINES = 6
# Django lists every column: "SELECT a, b, c, ... FROM". The column list says little in a table
# row; the FROM/WHERE part tells queries apart.
_SELECT_LIST = re.compile(r"^(SELECT\s+(?:DISTINCT\s+)?)(.{60,}?)(\s+FROM\s)", re.I | re.S)
# sqlparse's reindent grows faster than the SQL (measured: 25-100 ms for 1,000 tokens, 0.5-0.9 s
# for an id__in of 3,000 values); past 10,000 of its tokens, each blank one of them, it raises
# SQLParseError (an id__in of 3,400 values, or 10,000 spaces), and so do 50 nested brackets.
# Past any bound below, the kit lays the SQL out itself.
_SQLPARSE_MAX_CHARS = 4_000
_SQLPARSE_MAX_TOKENS = 1_000  # blanks and comments not counted
_SQLPARSE_MAX_DEPTH = 20
# Where the simple layout starts a line, outside brackets.
_CLAUSES = frozenset(
    {"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW"}
    | {"UNION", "EXCEPT", "INTERSECT", "VALUES", "SET", "RETURNING"}
)
_JOINS = frozenset({"INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "JOIN", "STRAIGHT_JOIN"})


def one_line(sql: str) -> str:
    """The SQL on one line, whitespace folded."""
    return _SPACE.sub(" ", sql).strip()


def summarize_sql(sql: str, width: int = 120) -> str:
    """A one-line summary: long column lists elided, cut at width characters with an ellipsis."""
    text = _SELECT_LIST.sub(r"\1…\3", one_line(sql), count=1)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_sql(sql: str) -> str:
    """The SQL indented one clause per line, for a details view: sqlparse's form when it is
    quick, the kit's simple layout for long or deeply nested SQL."""
    found = tokens(sql)
    if len(sql) > _SQLPARSE_MAX_CHARS:
        return layout_sql(found)
    depth = deepest = count = 0
    for token in found:
        if token.kind not in BLANK_KINDS:
            count += 1
            depth += (token.text == "(") - (token.text == ")")
            deepest = max(deepest, depth)
    if count <= _SQLPARSE_MAX_TOKENS and deepest <= _SQLPARSE_MAX_DEPTH:
        try:
            return _sqlparse_format(sql)
        except SQLParseError:  # its grouping limits count more than brackets
            pass
    return layout_sql(found)


@lru_cache(maxsize=1024)
def _sqlparse_format(sql: str) -> str:
    return sqlparse.format(sql, reindent=True, keyword_case="upper").strip()


def layout_sql(found: tuple[Token, ...]) -> str:
    """The tokens with a line break before each clause and join outside brackets, keywords
    upper-cased, other blanks folded to one space; linear in the length of the SQL."""
    parts: list[str] = []
    depth = 0
    previous: Token | None = None
    spaced = False
    for i, token in enumerate(found):
        if token.kind == "whitespace":
            spaced = True
            continue
        if previous is None:
            pass
        elif previous.kind == "comment" and not previous.text.startswith("/*"):
            parts.append("\n")  # a -- or # comment runs to the line's end
        elif depth == 0 and _starts_line(token, previous, found, i):
            parts.append("\n")
        elif spaced:
            parts.append(" ")
        parts.append(token.value if token.kind == "keyword" else token.text)
        depth += (token.text == "(") - (token.text == ")")
        previous = token
        spaced = False
    return "".join(parts)


def _starts_line(token: Token, previous: Token, found: tuple[Token, ...], i: int) -> bool:
    """True when a clause or a join starts at found[i]."""
    if token.kind != "keyword":
        return False
    if token.value in _JOINS:
        j = i + 1
        while j < len(found) and found[j].kind == "whitespace":
            j += 1
        called = j < len(found) and found[j].text == "("  # LEFT(name, 3) is a call
        return not called and previous.value not in _JOINS and previous.value != "OUTER"
    return token.value in _CLAUSES


def format_params(params: object, width: int = 200) -> str:
    """The params as Python shows them, cut at width characters; a driver's subclass of a
    built-in (psycopg's `Int4(1)`) shows as its value (`1`)."""
    # A redacted profile's stand-in is a str subclass that shows without quotes.
    text = str(params) if isinstance(params, RedactedParams) else repr(_plain(params))
    return text if len(text) <= width else text[: width - 1] + "…"


def _plain(value: object) -> object:
    """`value` with every subclass of int, float or str (not bool) as its built-in type."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    for base in (int, float, str):
        if isinstance(value, base) and type(value) not in (base, bool):
            return base(value)
    return value


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
# Django 5.2's tuple lookups where the database has no row values (SQLite): one
# "(a = %s AND b = %s)" per key, OR-ed.
_SAME_ORS = re.compile(r"(\([^()]*\))(?:\s+OR\s+\1){3,}", re.I)


def shorten_lists(sql: str, keep: int = 3) -> str:
    """Long lists of placeholders or numbers cut to their first few and a count, for reading:
    "IN (%s, %s, %s, … 177 in all)", "VALUES (%s, %s), (%s, %s), … 20 rows in all",
    "(a = %s AND b = %s) OR (a = %s AND b = %s) OR … 400 alike in all". Laid out one item a
    line, a 177-item IN list took 7 KB."""

    def cut(match: re.Match[str]) -> str:
        items = [item.strip() for item in match[1].split(",")]
        return f"({', '.join(items[:keep])}, … {len(items):,} in all)"

    def rows(match: re.Match[str]) -> str:
        count = match[0].count(match[1])
        return f"{match[1]}, {match[1]}, … {count:,} rows in all"

    def ors(match: re.Match[str]) -> str:
        count = match[0].count(match[1])
        return f"{match[1]} OR {match[1]} OR … {count:,} alike in all"

    return _SAME_ORS.sub(ors, _SAME_ROWS.sub(rows, _LONG_LIST.sub(cut, sql)))


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
