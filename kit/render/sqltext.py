"""SQL as people read it: a one-line summary for tables, an indented form for details."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlparse
from sqlparse.exceptions import SQLParseError

from kit.analysis.sqltokens import BLANK_KINDS, Token, tokens

_SPACE = re.compile(r"\s+")
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
    """The params as Python shows them, cut at width characters."""
    text = repr(params)
    return text if len(text) <= width else text[: width - 1] + "…"
