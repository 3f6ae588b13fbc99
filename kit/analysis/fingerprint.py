"""SQL fingerprints: one normalised text per query shape, plus its kind and tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kit.analysis import sqltokens
from kit.analysis.sqltokens import CALL_WORDS, KEYWORDS

__all__ = ["SqlShape", "fingerprint", "sql_shape"]


@dataclass(frozen=True, slots=True)
class SqlShape:
    """A query's shape: normalised SQL, statement kind and the sorted tables it touches."""

    fingerprint: str
    kind: str
    tables: tuple[str, ...]


# The fingerprint's own token types, built from the lexer's tokens: K keyword, I identifier,
# Q identifier that must stay quoted, V value (placeholder or literal), E the "..." of a
# folded list, O operator, X any other character; the punctuation ( ) [ ] , . ; is its own type.
Token = tuple[str, str]

_SIMPLE_NAME_RE = re.compile(r"[^\W\d][\w$]*")
# Keywords that stand for a value inside a VALUES row; they do not change an INSERT's plan.
_ROW_VALUE_WORDS = frozenset({"NULL", "TRUE", "FALSE", "DEFAULT"})
# Calls whose arguments use FROM as syntax, as in EXTRACT(YEAR FROM col), not to name a table.
_FROM_SYNTAX_CALLS = frozenset({"EXTRACT", "SUBSTRING", "SUBSTR", "TRIM", "OVERLAY"})
# UPDATE after these is a clause (FOR UPDATE, ON DUPLICATE KEY UPDATE, DO UPDATE), not a table.
_UPDATE_CLAUSE_AFTER = frozenset({"FOR", "KEY", "DO", "ON", "OR", "OF"})
_NAME_MODIFIERS = frozenset({"ONLY", "LATERAL", "IF", "NOT", "EXISTS"})
# Django's "no limit" when a slice has only an offset: SQLite LIMIT -1, MySQL LIMIT 2**64-1.
_NO_LIMIT = "18446744073709551615"
_KINDS = {
    **{word: word for word in ("SELECT", "INSERT", "UPDATE", "DELETE", "EXPLAIN")},
    **{word: word for word in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")},
    **dict.fromkeys(("CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME"), "DDL"),
    **{"REPLACE": "INSERT", "START": "BEGIN", "END": "COMMIT"},
}
_QUERY_WORDS = frozenset({"SELECT", "INSERT", "REPLACE", "UPDATE", "DELETE"})
_VALUE: Token = ("V", "?")
_KEYWORD_TOKENS: dict[str, Token] = {word: ("K", word) for word in KEYWORDS}
_PUNCTUATION: dict[str, Token] = {p: (p, p) for p in "()[],.;"} | {"...": ("E", "...")}
_FOLDED_ROW: list[Token] = [("(", "("), ("E", "..."), (")", ")")]
_ORDER_BY_NULL: list[Token] = [("K", "ORDER"), ("K", "BY"), ("K", "NULL")]
_DISTINCT: Token = ("K", "DISTINCT")  # FROM after it is IS DISTINCT FROM, not a table


@lru_cache(maxsize=8192)
def sql_shape(sql: str) -> SqlShape:
    """Return the fingerprint, statement kind and tables of one SQL string (cached)."""
    tokens = _rewrite(_tokenize(sql))
    _mask_generated_names(tokens)
    kind = _kind(tokens)
    return SqlShape(_render(tokens), kind, _tables(tokens, _match_parens(tokens), kind))


def fingerprint(sql: str) -> str:
    """Return the normalised SQL that all queries of the same shape share."""
    return sql_shape(sql).fingerprint


def _tokenize(sql: str) -> list[Token]:
    """The fingerprint's tokens of `sql`: no blanks or comments, literals folded to values."""
    out: list[Token] = []
    append = out.append
    for token in sqltokens.tokens(sql):
        kind = token.kind
        if kind == "whitespace" or kind == "comment":
            continue
        if kind == "identifier":
            after_dot = bool(out) and out[-1][0] in ".E"
            append(_identifier(token.value, after_dot, token.quoted))
        elif kind == "punctuation":
            append(_PUNCTUATION[token.text])
        elif kind == "keyword":
            append(_KEYWORD_TOKENS[token.value])
        elif kind == "placeholder" or kind == "string":
            append(_VALUE)
        elif kind == "number":
            _append_number(out, token.text)
        elif kind == "operator":
            append(("O", token.value))
        else:
            append(("X", token.text))
    return out


@lru_cache(maxsize=4096)
def _identifier(name: str, after_dot: bool, quoted: bool) -> Token:
    """Identifier token, lower-cased; quoted only where bare it would read back differently."""
    name = name.lower()
    if not (name.isascii() and name.isidentifier()) and not _SIMPLE_NAME_RE.fullmatch(name):
        return ("Q", name)
    if quoted and not after_dot and name.isascii() and name.upper() in KEYWORDS:
        return ("Q", name)
    return ("I", name)


def _append_number(tokens: list[Token], text: str) -> None:
    """Append a number as a value, folding a unary sign and dropping Django's 'no limit'."""
    sign = ""
    if tokens and tokens[-1] in (("O", "-"), ("O", "+")):
        before = tokens[-2][0] if len(tokens) > 1 else "("
        if before in "KO(,[":
            sign = tokens.pop()[1]
    if tokens and tokens[-1] == ("K", "LIMIT") and (text == _NO_LIMIT or sign + text == "-1"):
        tokens.pop()
        return
    tokens.append(_VALUE)


def _rewrite(tokens: list[Token]) -> list[Token]:
    """Fold IN lists, ARRAY[...] and VALUES rows to one form; drop MySQL's ORDER BY NULL."""
    match = _match_parens(tokens)
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        i += 1
        if token[0] != "K" or i >= n:
            out.append(token)
        elif token[1] == "IN" and tokens[i][0] == "(":
            end = _value_list_end(tokens, i, ")", frozenset())
            out += [token, *_FOLDED_ROW] if end > 0 else [token]
            i = end + 1 if end > 0 else i
        elif token[1] == "ARRAY" and tokens[i][0] == "[":
            end = _value_list_end(tokens, i, "]", frozenset())
            out += [token, ("[", "["), ("E", "..."), ("]", "]")] if end > 0 else [token]
            i = end + 1 if end > 0 else i
        elif token[1] == "VALUES":
            out.append(token)
            i = _collapse_rows(tokens, i, match, out)
        elif (
            tokens[i - 1 : i + 2] == _ORDER_BY_NULL
            and (i + 2 == n or tokens[i + 2][0] in "K);")
            and not (out and (out[-1][0] in ".E" or out[-1] in _ORDER_BY_NULL[:2]))
        ):  # after ORDER or BY, dropping it would leave a new ORDER BY NULL for the next pass
            i += 2  # Django adds it to MySQL GROUP BY queries; it means "no order"
        else:
            out.append(token)
    return out


def _value_list_end(tokens: list[Token], start: int, closer: str, words: frozenset[str]) -> int:
    """Index of the closer of the flat list of values opened at start, or -1 if not flat."""
    depth = 0
    has_value = False
    for j in range(start + 1, len(tokens)):
        typ, text = tokens[j]
        if typ in "VE":
            has_value = True
        elif typ == "(" and depth == 0:
            depth = 1  # a row value, as in (a, b) IN ((1, 2), (3, 4))
        elif typ == ")" and depth == 1:
            depth = 0
        elif typ == closer:
            return j if has_value and depth == 0 else -1
        elif typ != "," and not (typ == "K" and text in words):
            return -1
    return -1


def _collapse_rows(tokens: list[Token], i: int, match: list[int], out: list[Token]) -> int:
    """Append the VALUES rows at i to out, equal neighbours once; return the index after."""
    n = len(tokens)
    previous: list[Token] | None = None
    while i < n and tokens[i][0] == "(":
        end = match[i]
        simple = _value_list_end(tokens, i, ")", _ROW_VALUE_WORDS) == end
        row = _FOLDED_ROW if simple else tokens[i : end + 1]
        if row != previous:
            out += [(",", ","), *row] if previous is not None else row
        previous = row
        i = end + 1
        if not (i + 1 < n and tokens[i][0] == "," and tokens[i + 1][0] == "("):
            break
        i += 1
    return i


def _mask_generated_names(tokens: list[Token]) -> None:
    """Replace savepoint and cursor names, which Django generates per call, with a value."""
    n = len(tokens)
    for start in [0] + [i + 1 for i, t in enumerate(tokens) if t[0] == ";"]:
        if start >= n or tokens[start][0] != "K":
            continue
        word = tokens[start][1]
        end = start + 1
        while end < n and tokens[end][0] != ";":
            end += 1
        if word in ("SAVEPOINT", "DECLARE", "CLOSE"):
            name_at = start + 1
        elif word == "RELEASE" or (word == "ROLLBACK" and ("K", "TO") in tokens[start:end]):
            name_at = start + 1
            while name_at < end and tokens[name_at][0] == "K":
                name_at += 1  # past SAVEPOINT, TO, TRANSACTION, WORK
        elif word in ("FETCH", "MOVE"):
            name_at = end - 1  # FETCH [direction] [FROM | IN] name: the name comes last
        else:
            continue
        if name_at < end and tokens[name_at][0] in "IQ":
            tokens[name_at] = _VALUE


def _match_parens(tokens: list[Token]) -> list[int]:
    """For each '(' the index of its ')', or the last index when it is never closed."""
    match = [0] * len(tokens)
    stack: list[int] = []
    for i, (typ, _) in enumerate(tokens):
        if typ == "(":
            stack.append(i)
        elif typ == ")" and stack:
            match[stack.pop()] = i
    for i in stack:
        match[i] = len(tokens) - 1
    return match


def _kind(tokens: list[Token]) -> str:
    """Statement kind from the first keyword, looking past CTEs and cursor declarations."""
    j = 0
    while j < len(tokens) and tokens[j][0] in "(;":
        j += 1
    if j >= len(tokens) or tokens[j][0] != "K":
        return "OTHER"
    word = tokens[j][1]
    if word not in ("WITH", "DECLARE"):
        return _KINDS.get(word, "OTHER")
    depth = 0
    fallback = "OTHER"
    for typ, text in tokens[j + 1 :]:
        depth += (typ == "(") - (typ == ")")
        if typ == "K" and text in _QUERY_WORDS:
            if depth <= 0:
                return _KINDS[text]
            if fallback == "OTHER" and word == "DECLARE":
                fallback = _KINDS[text]  # DECLARE c CURSOR FOR (SELECT ...)
    return fallback


def _tables(tokens: list[Token], match: list[int], kind: str) -> tuple[str, ...]:
    """Sorted names after FROM, JOIN, INTO, UPDATE and DDL's TABLE/ON, without CTE names."""
    found: set[str] = set()
    ctes: set[str] = set()
    from_is_syntax: list[bool] = []
    prev: Token = (";", ";")
    for i, (typ, text) in enumerate(tokens):
        if typ == "(":
            from_is_syntax.append(prev[0] == "K" and prev[1] in _FROM_SYNTAX_CALLS)
        elif typ == ")" and from_is_syntax:
            from_is_syntax.pop()
        elif typ != "K":
            pass
        elif text == "WITH":
            ctes.update(_cte_names(tokens, i, match))
        elif (
            (text == "FROM" and not (from_is_syntax and from_is_syntax[-1]) and prev != _DISTINCT)
            or text in ("JOIN", "STRAIGHT_JOIN", "INTO", "TRUNCATE")
            or (text == "UPDATE" and not (prev[0] == "K" and prev[1] in _UPDATE_CLAUSE_AFTER))
            or (text in ("TABLE", "ON") and kind == "DDL")
            or (text == "USING" and kind == "DELETE")
        ):
            _read_tables(tokens, i + 1, match, found, text)
        prev = (typ, text)
    return tuple(sorted(found - ctes))


def _read_tables(
    tokens: list[Token], j: int, match: list[int], found: set[str], word: str
) -> None:
    """Add to found the table names from j on, which follow the keyword word."""
    n = len(tokens)
    listed = word in ("FROM", "UPDATE", "USING")  # these take a comma list of tables
    calls = word in ("FROM", "JOIN", "STRAIGHT_JOIN", "USING")  # these may name a function
    while j < n:
        while j < n and tokens[j][0] == "K" and tokens[j][1] in _NAME_MODIFIERS:
            j += 1
        if j < n and tokens[j][0] == "(":
            j = match[j] + 1  # a derived table: its own FROM is read when the loop gets there
        elif j < n and tokens[j][0] in "IQ":
            parts = [tokens[j][1]]
            j += 1
            while j + 1 < n and tokens[j][0] == "." and tokens[j + 1][0] in "IQ":
                parts.append(tokens[j + 1][1])
                j += 2
            if calls and j < n and tokens[j][0] == "(":
                j = match[j] + 1  # a table function such as UNNEST(...) or json_each(...)
            elif all(parts):  # "" is no name, though a quoted one may read as one
                found.add(".".join(parts))
        else:
            return
        if j < n and tokens[j] == ("K", "AS"):
            j += 1
        if j < n and tokens[j][0] in "IQ":
            j += 1  # the alias
        if not (listed and j < n and tokens[j][0] == ","):
            return
        j += 1


def _cte_names(tokens: list[Token], i: int, match: list[int]) -> list[str]:
    """Names defined by the WITH at i: name [(columns)] AS [NOT] [MATERIALIZED] (...), ..."""
    names: list[str] = []
    n = len(tokens)
    j = i + 2 if i + 1 < n and tokens[i + 1] == ("K", "RECURSIVE") else i + 1
    while j < n and tokens[j][0] in "IQ":
        name = tokens[j][1]
        j += 1
        if j < n and tokens[j][0] == "(":
            j = match[j] + 1
        if not (j < n and tokens[j] == ("K", "AS")):
            break
        j += 1
        while j < n and tokens[j][0] == "K" and tokens[j][1] in ("NOT", "MATERIALIZED"):
            j += 1
        if not (j < n and tokens[j][0] == "("):
            break
        names.append(name)
        j = match[j] + 1
        if not (j + 1 < n and tokens[j][0] == ","):
            break
        j += 1
    return names


def _render(tokens: list[Token]) -> str:
    """Join tokens with one space, none inside brackets, around dots or before commas."""
    parts: list[str] = []
    prev: Token = ("(", "")
    prev2 = ""
    for token in tokens:
        typ, text = token
        if typ == "Q":
            text = '"' + text.replace('"', '""') + '"'
        ptyp = prev[0]
        if ptyp == "[" and typ in "IK":
            glue = " "  # "[name]" would read back as a bracket-quoted identifier
        elif ptyp in "([.E" or typ in ")],.;E":
            glue = ""
        elif typ == "(":
            call = ptyp in "IQ" or (ptyp == "K" and prev[1] in CALL_WORDS)
            glue = "" if call and prev2 not in ("INTO", "TABLE", "REFERENCES") else " "
        elif typ == "[":
            glue = "" if ptyp in "IQVK)]" or prev == ("X", "$") else " "
        elif (prev == ("O", "::") and typ in "IQVK(") or (text == "::" and ptyp in "IQVK)]"):
            glue = ""  # casts read as one word: col::text
        else:
            glue = " "
        parts.append(glue)
        parts.append(text)
        prev2 = prev[1]
        prev = token
    return "".join(parts)
