"""The kit's one SQL lexer: text in, typed tokens out, in linear time (pure; no Django).

Fingerprints, explain's column references and EXPLAIN's safety checks all read SQL through
`tokens()`. The tokens cover the text exactly: joined, their texts give the SQL back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "BLANK_KINDS",
    "CALL_WORDS",
    "GENERIC",
    "KEYWORDS",
    "Dialect",
    "Token",
    "TokenKind",
    "tokens",
]

TokenKind = Literal[
    "keyword",  # a word of SQL's own, not after a dot: SELECT, FROM, COUNT
    "identifier",  # a name, bare or quoted ("a""b", `a``b`, [a b])
    "string",  # '...', E'...', N'...', X'...', $tag$...$tag$
    "number",
    "placeholder",  # %s, %(name)s, ?, ?1, $1, :name
    "operator",  # = <> :: || ->> %% ...
    "punctuation",  # ( ) [ ] , . ; and the "..." of a folded list
    "comment",  # -- ... and /* ... */
    "whitespace",
    "other",  # any other character, e.g. a stray $ or \
]


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact text, and its value (what the SQL means by it)."""

    kind: TokenKind
    text: str
    value: str  # a keyword upper-cased, an identifier's name unquoted, otherwise the text

    @property
    def quoted(self) -> bool:
        """True for an identifier written in quotes, brackets or backticks."""
        return self.kind == "identifier" and self.text[:1] in _QUOTES


@dataclass(frozen=True, slots=True)
class Dialect:
    """The lexical rules on which databases differ. The default, GENERIC, reads every quoting
    form Django emits on SQLite, PostgreSQL and MySQL, with PostgreSQL's standard strings."""

    backslash_escapes: bool = False  # '\'' escapes a quote: MySQL; PostgreSQL's old default
    double_quoted_strings: bool = False  # "..." is a string: MySQL without ANSI_QUOTES
    dollar_quotes: bool = True  # $tag$...$tag$ is a string: PostgreSQL
    nested_comments: bool = False  # /* /* */ */ is one comment: PostgreSQL
    cr_ends_comments: bool = False  # a -- comment ends at \r too: PostgreSQL
    # MySQL and MariaDB: # starts a comment, -- only when a blank follows, and the inside of
    # /*! ... */ and /*M! ... */ is SQL that the server runs.
    mysql_comments: bool = False


GENERIC = Dialect()
BLANK_KINDS: frozenset[TokenKind] = frozenset(
    {"whitespace", "comment"}
)  # say nothing to a database

# Words read as keywords; any other bare word is an identifier. Kept as text: as list literals
# these tables would take two hundred lines.
_CLAUSE_WORDS = frozenset(
    """
    ABSOLUTE ADD ALL ALTER ANALYZE AND ANY ARRAY AS ASC AT AUTOINCREMENT AUTO_INCREMENT BACKWARD
    BEGIN BETWEEN BY CASCADE CASE CAST CHECK CLOSE COLLATE COLUMN COMMIT COMMITTED CONFLICT
    CONSTRAINT CREATE CROSS CURRENT CURSOR DECLARE DEFAULT DEFERRABLE DEFERRED DELETE DESC DISTINCT
    DO DROP DUPLICATE ELSE END ESCAPE EXCEPT EXISTS EXPLAIN FALSE FETCH FILTER FIRST FOLLOWING FOR
    FOREIGN FORMAT FORWARD FROM FULL GLOB GROUP GROUPS HAVING HOLD IF IGNORE ILIKE IMMEDIATE IN
    INDEX INITIALLY INNER INSERT INTERSECT INTERVAL INTO IS ISOLATION JOIN KEY LAST LATERAL LEFT
    LEVEL LIKE LIMIT LOCKED MATERIALIZED MOVE NATURAL NEXT NO NOT NOTHING NOWAIT NULL NULLS OF
    OFFSET ON ONLY OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY PRIOR QUERY
    RANGE READ RECURSIVE REFERENCES REGEXP RELATIVE RELEASE RENAME REPEATABLE REPLACE RESTRICT
    RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SCROLL SELECT SERIALIZABLE SESSION SET SHARE SHOW
    SKIP SOME START STRAIGHT_JOIN TABLE TEMP TEMPORARY THEN TIES TIME TO TRANSACTION TRUE TRUNCATE
    UNBOUNDED UNCOMMITTED UNION UNIQUE UPDATE USING VALUES VERBOSE VIEW WHEN WHERE WINDOW WITH
    WITHIN WITHOUT WORK ZONE
    """.split()  # noqa: SIM905
)
# Function-like keywords: a "(" after them is a call.
CALL_WORDS = frozenset(
    """
    ABS ALL ANY ARRAY ARRAY_AGG AVG CAST CEIL CEILING COALESCE CONCAT CONCAT_WS COUNT CUME_DIST
    DATE_TRUNC DENSE_RANK EXISTS EXTRACT FIRST_VALUE FLOOR GREATEST GROUP_CONCAT LAG LAST_VALUE
    LEAD LEAST LEFT LENGTH LOWER LTRIM MAX MIN MOD NOW NTH_VALUE NTILE NULLIF PERCENT_RANK POWER
    RANK REPLACE RIGHT ROUND ROW_NUMBER RTRIM SOME STRING_AGG SUBSTR SUBSTRING SUM TRIM UNNEST
    UPPER
    """.split()  # noqa: SIM905
)
KEYWORDS = _CLAUSE_WORDS | CALL_WORDS
_QUOTES = frozenset('"`[')

# Alternatives are ordered by how often Django emits them, except where they overlap: string
# prefixes before words, comments before operators, [name] before "[", placeholders before ":".
# Each alternative either ends at a fixed delimiter or runs to the end of the text, so no
# position is scanned twice and the lexer is linear in the length of the SQL.
_PARTS: list[tuple[str, str]] = [
    ("whitespace", r"\s+"),
    ("placeholder", r"%\([^()%\s]*\)s|%[sbt]|\?\d*|\$\d+|:(?:[^\W\d]\w*|\d+)"),
    ("dq", r'"(?:[^"]+|"")*"?'),
    ("punctuation", r"[(),;]|\.(?!\.\.|\d)"),
    ("estr", r"[eE]'(?:[^'\\]+|\\.|'')*'?"),
    ("str", r"[nNxXbB]?'(?:[^']+|'')*'?"),
    ("word", r"[^\W\d][\w$]*"),
    ("number", r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"),
    ("comment", r"--[^\n]*|/\*.*?(?:\*/|\Z)"),
    ("dollar", r"\$(?P<tag>(?:[^\W\d]\w*)?)\$.*?(?:\$(?P=tag)\$|\Z)"),
    ("bt", r"`(?:[^`]+|``)*`?"),
    ("br", r"\[(?<![\w\[\])\"`$?]\[)[^\W\d][^\]\[]*\]"),
    ("dots", r"\.\.\."),
    ("operator", r"%%|::|<=>|->>|\#>>|<=|>=|<>|!=|\|\||->|\#>|@>|<@|&&|[-+*/%<>=!~^&|\#@]"),
    ("bracket", r"[\[\]]"),
    ("other", r"."),
]
_KIND_OF_GROUP: dict[str, TokenKind] = {
    "whitespace": "whitespace",
    "punctuation": "punctuation",
    "placeholder": "placeholder",
    "number": "number",
    "comment": "comment",
    "operator": "operator",
    "estr": "string",
    "str": "string",
    "dollar": "string",
    "bt": "identifier",
    "br": "identifier",
    "dots": "punctuation",
    "bracket": "punctuation",
}
# Inside a PostgreSQL comment: "/*" opens a nested one, "*/" (after any stars) closes one;
# runs of slashes and stars are read whole, as PostgreSQL's lexer does (scan.l, xc rules).
_NESTED_COMMENT = re.compile(r"(/\*)|(\*+/)|/+|\*+|[^*/]+")


class _Lexer:
    """The regular expressions of one dialect and its cache of classified texts."""

    def __init__(self, dialect: Dialect) -> None:
        parts = _dialect_parts(dialect)
        self.dialect = dialect
        self.pattern = re.compile(
            "|".join(f"(?P<{name}>{regex})" for name, regex in parts.items()), _FLAGS
        )
        # Without groups, findall() returns the texts straight from C: twice as fast. It cannot
        # pair dollar quotes (a backreference) nor nest comments, so texts that may hold either
        # take the finditer() path.
        self.plain = re.compile(
            "|".join(f"(?:{regex})" for name, regex in parts.items() if name != "dollar"), _FLAGS
        )
        # Bounded, like any cache of user text; Django repeats the same names and keywords.
        self.classify = lru_cache(maxsize=4096)(self._classify)

    def split(self, sql: str) -> list[str]:
        """The texts of the tokens, in order."""
        dialect = self.dialect
        if not (dialect.dollar_quotes and "$" in sql) and not (
            dialect.nested_comments and "/*" in sql
        ):
            return self.plain.findall(sql)
        texts: list[str] = []
        pos = 0
        while pos < len(sql):
            for m in self.pattern.finditer(sql, pos):
                text = m.group()
                if dialect.nested_comments and text[:2] == "/*" and "/*" in text[2:]:
                    pos = _nested_comment_end(sql, m.start())
                    texts.append(sql[m.start() : pos])
                    break  # lex on after the nested comment
                texts.append(text)
            else:
                break
        return texts

    def _classify(self, text: str) -> Token:
        """The token for a text the lexer split off (a word as if no dot came before it)."""
        m = self.pattern.fullmatch(text)
        group = (m.lastgroup if m else None) or "other"
        if group == "word":
            upper = text.upper()
            if text.isascii() and upper in KEYWORDS:
                return Token("keyword", text, upper)
            return Token("identifier", text, text)
        if group == "dq" and self.dialect.double_quoted_strings:
            return Token("string", text, text)
        if group in ("dq", "bt", "br"):
            closer = "]" if text[0] == "[" else text[0]
            body = text[1:-1] if len(text) > 1 and text[-1] == closer else text[1:]
            if closer != "]":
                body = body.replace(closer * 2, closer)
            return Token("identifier", text, body)
        if text == "%%":
            return Token("operator", text, "%")  # Django's escaped "%" beside %s placeholders
        return Token(_KIND_OF_GROUP.get(group, "other"), text, text)


_FLAGS = re.VERBOSE | re.DOTALL


def _dialect_parts(dialect: Dialect) -> dict[str, str]:
    """The lexer's alternatives, by group name, for one dialect."""
    parts = dict(_PARTS)
    if dialect.backslash_escapes:
        parts["str"] = r"[nNxXbB]?'(?:[^'\\]+|\\.|'')*'?"
    if dialect.double_quoted_strings and dialect.backslash_escapes:
        parts["dq"] = r'"(?:[^"\\]+|\\.|"")*"?'
    if not dialect.dollar_quotes:
        del parts["dollar"]
    line = r"--[^\r\n]*" if dialect.cr_ends_comments else r"--[^\n]*"
    if dialect.mysql_comments:
        line = line.replace("--", r"--(?=[\x00-\x20\x7f]|\Z)") + r"|\#[^\n]*"
        line = r"/\*M?!\d*|\*/|" + line  # an executable comment's opener and closer
    parts["comment"] = line + r"|/\*.*?(?:\*/|\Z)"
    return parts


_LEXERS: dict[Dialect, _Lexer] = {}


def tokens(sql: str, dialect: Dialect = GENERIC) -> tuple[Token, ...]:
    """The tokens of `sql` as `dialect` reads it; their texts joined give `sql` back."""
    lexer = _LEXERS.get(dialect)
    if lexer is None:
        lexer = _LEXERS[dialect] = _Lexer(dialect)
    texts = lexer.split(sql)
    classify = lexer.classify
    made = {text: classify(text) for text in set(texts)}  # an IN list of 10,000 %s: one token
    out = list(map(made.__getitem__, texts))
    dots: list[str] = [dot for dot in (".", "...") if dot in made]
    if dots and any(t.kind == "keyword" for t in made.values()):
        _unkeyword_after_dots(texts, out, dots)
    return tuple(out)


def _unkeyword_after_dots(texts: list[str], out: list[Token], dots: list[str]) -> None:
    """After a dot a word is a name, never a keyword: t.select, "blog"."order"."""
    n = len(out)
    for dot in dots:
        i = -1
        while True:
            try:
                i = texts.index(dot, i + 1)  # C speed: Django's SQL has a dot per column
            except ValueError:
                break
            j = i + 1
            while j < n and out[j].kind in BLANK_KINDS:
                j += 1
            if j < n and out[j].kind == "keyword":
                out[j] = Token("identifier", texts[j], texts[j])


def _nested_comment_end(sql: str, start: int) -> int:
    """Where the PostgreSQL comment that opens at `start` ends (nested ones included)."""
    depth = 0
    for m in _NESTED_COMMENT.finditer(sql, start):
        if m.group(1):
            depth += 1
        elif m.group(2):
            depth -= 1
            if depth == 0:
                return m.end()
    return len(sql)
