"""Which columns a query filters, joins, sorts and groups on, per table (pure; no Django).

Plans name the tables they read but, on SQLite and often elsewhere, not the columns that an
index would need: those come from the SQL. Django qualifies every column ("table"."column",
U0."column", `table`.`column`) and may GROUP BY or ORDER BY a select-list position; both are
read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kit.analysis import sqltokens

# sqlrefs' own token types, built from the lexer's tokens: kw (a word of the set below), name,
# value (a literal or placeholder), num, op (operators and punctuation), other.
Token = tuple[str, str]

# Words that start a clause of the query they are in.
_CLAUSES = frozenset(
    {"SELECT", "FROM", "JOIN", "ON", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET"}
    | {"UNION", "EXCEPT", "INTERSECT", "SET", "VALUES", "RETURNING", "INTO", "USING", "WINDOW"}
)
# A "(" after one of these groups a condition or starts a subquery; after any other word it
# calls a function, and a column inside a function call cannot use a plain index.
_KEYWORDS = _CLAUSES | {"AND", "OR", "NOT", "IN", "EXISTS", "AS", "BY", "WHEN", "THEN", "ELSE"}
_KEYWORDS |= {"CASE", "ANY", "ALL", "SOME", "OVER", "LATERAL", "IS", "INNER", "LEFT", "RIGHT"}
_KEYWORDS |= {"OUTER", "FULL", "CROSS", "DESC", "ASC", "NULLS", "LIKE", "ILIKE", "BETWEEN"}
_KEYWORDS |= {"NULL", "TRUE", "FALSE", "DISTINCT", "FOR", "UPDATE", "DELETE", "INSERT"}
_COMPARISONS = frozenset({"=", "<", ">", "<=", ">=", "<>", "!=", "IN", "IS", "LIKE", "ILIKE"})
EQUALITY = frozenset({"=", "IN", "IS", ""})  # "" is a bare boolean column: WHERE t.published
RANGE = frozenset({"<", ">", "<=", ">=", "BETWEEN"})


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """One qualified column in the SQL: its real table, the clause, how it is compared."""

    table: str
    column: str
    clause: str  # WHERE, ON, ORDER, GROUP, HAVING, SELECT, SET...
    op: str = ""  # "=", "IN", "<"... "" for a bare boolean, "value" on a comparison's right
    descending: bool = False
    in_call: bool = False  # inside a function call: UPPER(col), EXTRACT(... FROM col)


@dataclass(frozen=True, slots=True)
class SqlRefs:
    """The column references of one statement, and what it sorts or groups on besides columns."""

    refs: tuple[ColumnRef, ...]
    aliases: tuple[tuple[str, str], ...]  # (alias, table); a table maps to itself
    by_expression: frozenset[str] = frozenset()  # ORDER and/or GROUP on an expression
    has_limit: bool = False

    @property
    def orders_by_expression(self) -> bool:
        """True when the ORDER BY has an item that is no plain column (an aggregate, say)."""
        return "ORDER" in self.by_expression

    def table_of(self, name: str) -> str:
        """The real table behind an alias (or the name itself)."""
        return dict(self.aliases).get(name, name)

    def columns(self, table: str, clause: str) -> list[ColumnRef]:
        """The references to `table` in `clause`, in order, each column once."""
        seen: set[str] = set()
        found = []
        for ref in self.refs:
            if ref.table == table and ref.clause == clause and ref.column not in seen:
                seen.add(ref.column)
                found.append(ref)
        return found


@lru_cache(maxsize=1024)
def sql_refs(sql: str) -> SqlRefs:
    """Every qualified column of `sql` with its clause and comparison, aliases resolved."""
    tokens = _tokens(sql)
    aliases = _aliases(tokens)
    resolve = dict(aliases)
    refs = _column_refs(tokens, resolve)
    select = [_plain_column(item, resolve) for item in _items(tokens, "SELECT")]
    by_expression: set[str] = set()
    for clause in ("GROUP", "ORDER"):
        for item in _items(tokens, clause):
            ref = _plain_column(item, resolve)
            position = _position(item[0])
            if ref is None and 0 < position <= len(select):
                ref = select[position - 1]  # GROUP BY 1: the first select item
                if ref is not None:
                    refs.append(ColumnRef(ref.table, ref.column, clause, "", _desc(item)))
            if ref is None:
                by_expression.add(clause)
    has_limit = any(t == ("kw", "LIMIT") for t in tokens)
    return SqlRefs(tuple(refs), aliases, frozenset(by_expression), has_limit)


def _tokens(sql: str) -> list[Token]:
    """The tokens this module reads: no blanks or comments, literals folded to values."""
    out: list[Token] = []
    for token in sqltokens.tokens(sql):
        kind = token.kind
        if kind == "keyword" and token.value in _KEYWORDS:
            out.append(("kw", token.value))
        elif kind == "identifier":
            out.append(("name", token.value))
        elif kind == "keyword":
            out.append(("name", token.text))  # COUNT, UPPER: a "(" after them is a call
        elif kind == "string" or kind == "placeholder":
            out.append(("value", "?"))
        elif kind == "number":
            out.append(("num", token.text))
        elif kind == "operator" or kind == "punctuation":
            out.append(("op", token.text))
        elif kind == "other":
            out.append(("other", token.text))
    return out


def _is_column(tokens: list[Token], i: int) -> bool:
    """True at the qualifier of a qualified column: name . name (not schema.table.column)."""
    return (
        tokens[i][0] == "name"
        and i + 2 < len(tokens)
        and tokens[i + 1][1] == "."
        and tokens[i + 2][0] == "name"
        and not (i and tokens[i - 1][1] == ".")
    )


def _column_refs(tokens: list[Token], resolve: dict[str, str]) -> list[ColumnRef]:
    """Each qualified column with the clause it is in, per parenthesis depth."""
    refs: list[ColumnRef] = []
    clause = ["SELECT"]
    calls = [False]
    for i, (kind, text) in enumerate(tokens):
        if kind == "kw" and text in _CLAUSES:
            clause[-1] = text
        elif text == "(":
            calls.append(calls[-1] or (i > 0 and tokens[i - 1][0] == "name"))
            clause.append(clause[-1])
        elif text == ")" and len(clause) > 1:
            clause.pop()
            calls.pop()
        elif _is_column(tokens, i):
            op, descending = _comparison(tokens, i + 3)
            if _after_comparison(tokens, i):
                op = "value"  # the right-hand side: a = (t.col) filters on a, not on col
            table = resolve.get(text, text)
            refs.append(ColumnRef(table, tokens[i + 2][1], clause[-1], op, descending, calls[-1]))
    return refs


def _aliases(tokens: list[Token]) -> tuple[tuple[str, str], ...]:
    """(alias, table) for every table after FROM, JOIN, UPDATE or INTO."""
    pairs: dict[str, str] = {}
    for i, (kind, text) in enumerate(tokens):
        if not (kind == "kw" and text in ("FROM", "JOIN", "UPDATE", "INTO")):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][0] == "name":
            if j + 2 < len(tokens) and tokens[j + 1][1] == "." and tokens[j + 2][0] == "name":
                j += 2  # schema.table
            table = tokens[j][1]
            pairs.setdefault(table, table)
            k = j + 1 + (tokens[j + 1 : j + 2] == [("kw", "AS")])
            if (
                k < len(tokens)
                and tokens[k][0] == "name"
                and tokens[k + 1 : k + 2] != [("op", ".")]
            ):
                pairs[tokens[k][1]] = table
                k += 1
            if not (k < len(tokens) and tokens[k][1] == ","):
                break
            j = k + 1
    return tuple(pairs.items())


def _items(tokens: list[Token], clause: str) -> list[list[Token]]:
    """The comma-separated items of the outermost query's clause (SELECT, GROUP, ORDER)."""
    depth = 0
    items: list[list[Token]] = []
    inside = False
    for token in tokens:
        if token[1] == "(":
            depth += 1
        elif token[1] == ")":
            depth -= 1
        if depth == 0 and token[0] == "kw" and token[1] in _CLAUSES:
            if inside:
                break
            inside = token[1] == clause
            items = [[]] if inside else items
            continue
        if inside and token == ("kw", "BY") and items == [[]]:
            continue
        if inside and depth == 0 and token[1] == ",":
            items.append([])
        elif inside:
            items[-1].append(token)
    return [item for item in items if item]


def _plain_column(item: list[Token], resolve: dict[str, str]) -> ColumnRef | None:
    """The column an item is, when it is just one: t.col [AS alias] [ASC|DESC]."""
    words = [t for t in item if t not in (("kw", "DESC"), ("kw", "ASC"))]
    if len(words) >= 3 and _is_column(words, 0) and (len(words) == 3 or words[3] == ("kw", "AS")):
        return ColumnRef(resolve.get(words[0][1], words[0][1]), words[2][1], "", "", _desc(item))
    return None


def _position(token: Token) -> int:
    """The select-list position a GROUP BY or ORDER BY item names (1-based), or 0."""
    return int(token[1]) if token[0] == "num" and token[1].isdigit() else 0


def _desc(item: list[Token]) -> bool:
    return ("kw", "DESC") in item


def _comparison(tokens: list[Token], j: int) -> tuple[str, bool]:
    """How the column just read is compared ("" when bare) and whether it sorts descending."""
    while j < len(tokens) and tokens[j][1] == "::":
        j += 2  # col::text
    if j >= len(tokens):
        return "", False
    text = tokens[j][1]
    if text == "NOT" and j + 1 < len(tokens):
        return "NOT " + tokens[j + 1][1], False
    if text in _COMPARISONS or text == "BETWEEN":
        return text, False
    return "", text == "DESC"


def _after_comparison(tokens: list[Token], i: int) -> bool:
    """True when the column at i is the value a comparison compares against."""
    j = i - 1
    while j >= 0 and tokens[j][1] == "(":
        j -= 1
    return j >= 0 and tokens[j][1] in _COMPARISONS
