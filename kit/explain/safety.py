"""What the kit may run under EXPLAIN, and what under EXPLAIN ANALYZE (pure; no Django)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from kit.analysis.fingerprint import sql_shape
from kit.analysis.sqltokens import BLANK_KINDS, GENERIC, Dialect, Token, tokens

# Statement kinds that have a plan; anything else (DDL, SAVEPOINT, SET...) is not explained.
EXPLAINABLE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
# Words that make a statement more than a read, wherever they appear: a data-modifying CTE
# (WITH x AS (DELETE ...) SELECT), SELECT ... INTO (a new table, a file, variables), locking
# reads (FOR UPDATE/SHARE, LOCK IN SHARE MODE) that would block other sessions.
_WRITE_WORDS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "INTO", "SHARE", "LOCK", "TRUNCATE"}
    | {"CREATE", "DROP", "ALTER", "GRANT", "REVOKE", "CALL", "COPY", "DO", "HANDLER", "LOAD"}
)
# Write words that are also string functions when a "(" follows at once: REPLACE(s, a, b),
# MySQL's INSERT(s, pos, len, new). Django's Replace() writes the first.
_ALSO_FUNCTIONS = frozenset({"REPLACE", "INSERT"})
# Functions whose effect a rollback does not undo: sequences, locks, session state, files,
# other sessions. A database may run one even to plan a statement (MariaDB evaluates constant
# subqueries while it optimizes, so a plain EXPLAIN advances a sequence), so no EXPLAIN takes
# them. On PostgreSQL the database's own catalog (pg_proc) is asked too: kit/explain/routines.py.
_EFFECT_FUNCTIONS = frozenset(
    {
        "NEXTVAL",
        "SETVAL",
        "LASTVAL",
        "SETSEED",
        "SET_CONFIG",
        "TXID_CURRENT",
        "PG_CURRENT_XACT_ID",
        "PG_TERMINATE_BACKEND",
        "PG_CANCEL_BACKEND",
        "PG_NOTIFY",
        "PG_RELOAD_CONF",
        "GET_LOCK",
        "RELEASE_LOCK",
        "RELEASE_ALL_LOCKS",
        "LAST_INSERT_ID",
        "LOAD_FILE",
        "LOAD_EXTENSION",
    }
)
# Families of them: PostgreSQL's advisory locks (pg_advisory_lock, pg_try_advisory_xact_lock...),
# large objects (lo_import, lo_unlink...), dblink's remote statements.
_EFFECT_PREFIXES = ("PG_ADVISORY", "PG_TRY_ADVISORY", "LO_", "DBLINK")
# Words that may look like calls but are syntax: they name no function to look up.
_SYNTAX_CALLS = frozenset({"ALL", "ANY", "SOME", "EXISTS", "CAST", "ARRAY", "IN", "VALUES"})
# More distinct names than this in one statement, and ANALYZE does not look them all up.
MAX_NAMES = 500
_EXPLAIN_WORDS = frozenset({"EXPLAIN", "ANALYZE", "ANALYSE", "DESCRIBE", "DESC"})

# The same text as each database the kit explains on may read it. Where their rules differ (a
# backslash in a string, # or "--x", $$, nested /* */, MySQL's /*! ... */), one database's
# string or comment is another's code, so a text is refused when any reading refuses it.
# `name` and [name] are names in every reading: where a database has neither, what they could
# hide sits after a character it cannot parse, and nothing of the text runs.
_MYSQL = Dialect(
    backslash_escapes=True, double_quoted_strings=True, dollar_quotes=False, mysql_comments=True
)
_POSTGRESQL = Dialect(nested_comments=True, cr_ends_comments=True)
_READINGS: tuple[tuple[str, Dialect], ...] = (
    ("", GENERIC),
    ("PostgreSQL", _POSTGRESQL),
    (
        "PostgreSQL without standard_conforming_strings",
        replace(_POSTGRESQL, backslash_escapes=True),
    ),
    ("MySQL", _MYSQL),
    ("MySQL with ANSI_QUOTES", replace(_MYSQL, double_quoted_strings=False)),
    ("MySQL with NO_BACKSLASH_ESCAPES", replace(_MYSQL, backslash_escapes=False)),
)


# An IN list or VALUES rows of 100,000 parameters is a megabyte of SQL. A run of placeholders,
# integers and rows of them holds no quote, comment marker, backslash, dollar, semicolon,
# line break or word, so every reading (string, comment or code) is the same with the run
# shortened: its first items and its last are kept. What is left is read in full, up to
# MAX_CHECKED characters; a longer text is refused, so the check takes a bounded time.
_ITEM = r"(?:%s|\d+)"
_ROW = rf"\({_ITEM}(?:, ?{_ITEM})*\)"
_RUN = re.compile(rf"(?:{_ITEM}|{_ROW})(?:, ?(?:{_ITEM}|{_ROW})){{{32},}}")
_ITEMS = re.compile(rf"{_ROW}|{_ITEM}")
MAX_CHECKED = 100_000


@lru_cache(maxsize=256)
def shortened(sql: str) -> str:
    """`sql` with each long run of parameters and numbers cut to its first items and its last:
    the same statement to the checks, the findings and the column references."""
    if len(sql) < 4_096:
        return sql
    return _RUN.sub(_shorten_run, sql)


def _shorten_run(match: re.Match[str]) -> str:
    items = _ITEMS.findall(match.group())
    return ", ".join([*items[:3], items[-1]])


class RefusedStatement(ValueError):
    """A statement the kit will not run under EXPLAIN (or under ANALYZE); says why."""


def check_explain(sql: str, *, analyze: bool) -> None:
    """Raise RefusedStatement unless `sql` is one statement that may run under this EXPLAIN."""
    text = shortened(sql)
    if len(text) > MAX_CHECKED:
        raise RefusedStatement(
            f"refused: the statement is {len(sql):,} characters long ({len(text):,} with its "
            f"lists of parameters shortened); the kit reads at most {MAX_CHECKED:,}."
        )
    reason = _refusal(text, analyze)
    if reason:
        raise RefusedStatement(reason)


def may_analyze(sql: str) -> bool:
    """True when `sql` may run under ANALYZE: one plain SELECT, nothing it changes survives."""
    try:
        check_explain(sql, analyze=True)
    except RefusedStatement:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Names:
    """What a statement names, as any database may read it: the functions it calls and every
    name (tables and views among them), each lower-cased unless it was quoted."""

    functions: frozenset[str]
    names: frozenset[str]


def statement_names(sql: str) -> Names:
    """The functions `sql` calls and the names it uses (empty when the text is refused)."""
    text = shortened(sql)
    read = _read(text) if len(text) <= MAX_CHECKED else "too long"
    if isinstance(read, str):
        return Names(frozenset(), frozenset())
    functions: set[str] = set()
    names: set[str] = set()
    for _, statement in read:
        for i, token in enumerate(statement):
            if token.kind not in _WORDS:
                continue
            name = token.value if token.quoted else token.value.lower()
            if token.kind == "identifier":
                names.add(name)
            if _next_text(statement, i + 1) == "(" and token.value.upper() not in _SYNTAX_CALLS:
                functions.add(name)
    return Names(frozenset(functions), frozenset(names))


def effect_refusal(sql: str) -> str | None:
    """Why `sql` (a view's definition, say) calls something with effects, or None."""
    read = _read(shortened(sql)[:MAX_CHECKED])
    if isinstance(read, str):
        return read
    for reading, statement in read:
        reason = _effect_refusal(statement)
        if reason:
            return _as_read(reason, reading)
    return None


@lru_cache(maxsize=1024)
def _refusal(sql: str, analyze: bool) -> str | None:
    """Why `sql` may not be explained this way, or None when it may."""
    reason = effect_refusal(sql)
    if reason:
        return reason
    kind = sql_shape(sql).kind
    if kind not in EXPLAINABLE:
        return f"{kind} statements have no plan; only SELECT, INSERT, UPDATE and DELETE do."
    if not analyze:
        return None
    if kind != "SELECT":
        return f"ANALYZE runs only SELECT statements; this one is {kind}."
    read = _read(sql)
    for reading, statement in () if isinstance(read, str) else read:
        reason = _analyze_refusal(statement)
        if reason:
            return _as_read(reason, reading)
    return None


@lru_cache(maxsize=256)
def _read(sql: str) -> str | tuple[tuple[str, tuple[Token, ...]], ...]:
    """The one statement of `sql` as each reading sees it, or why it is not one statement."""
    statements: list[tuple[str, tuple[Token, ...]]] = []
    for reading, dialect in _readings(sql):
        # A line break and a ";" after the text end any comment; only a string, name or comment
        # left open swallows them. The ";" only adds an empty statement.
        found = tokens(sql + _SENTINEL, dialect)
        # Held to the generic reading only: as MySQL reads it, SQLite's ESCAPE '\' never closes.
        if not reading and found[-1].text != ";":
            return "refused: the text ends inside a string, quoted name or comment never closed."
        pieces = _statements(found)
        reason = _statement_refusal(pieces)
        if reason:
            return _as_read(reason, reading)
        statements.append((reading, tuple(pieces[0])))
    return tuple(statements)


def _readings(sql: str) -> list[tuple[str, Dialect]]:
    """The readings of `sql` that may differ, each with only the rules that can apply to it."""
    comments = "/*" in sql
    readings: dict[Dialect, str] = {}
    for reading, dialect in _READINGS:
        backslashes = dialect.backslash_escapes and "\\" in sql
        relevant = Dialect(
            backslash_escapes=backslashes,
            # With no backslash a "..." string ends where a "..." name does, and holds no word.
            double_quoted_strings=dialect.double_quoted_strings and backslashes,
            dollar_quotes=dialect.dollar_quotes and "$" in sql,
            nested_comments=dialect.nested_comments and comments,
            cr_ends_comments=dialect.cr_ends_comments and "\r" in sql,
            mysql_comments=dialect.mysql_comments
            and (comments or "*/" in sql or "#" in sql or "--" in sql),
        )
        readings.setdefault(relevant, reading)
    return [(reading, dialect) for dialect, reading in readings.items()]


def _statements(found: tuple[Token, ...]) -> list[list[Token]]:
    """The text split at semicolons; pieces with nothing but blanks and comments left out."""
    pieces: list[list[Token]] = [[]]
    for token in found:
        if token.kind == "punctuation" and token.text == ";":
            pieces.append([])
        else:
            pieces[-1].append(token)
    return [piece for piece in pieces if any(t.kind not in BLANK_KINDS for t in piece)]


def _statement_refusal(statements: list[list[Token]]) -> str | None:
    """Why these are not one statement that EXPLAIN may prefix, or None."""
    if not statements:
        return "there is no SQL statement to explain."
    if len(statements) > 1:
        return f"refused: {len(statements)} statements in one text; EXPLAIN takes one."
    first = next((t for t in statements[0] if t.kind in _WORDS), None)
    if first is not None and first.value.upper() in _EXPLAIN_WORDS:
        return f"refused: the statement already starts with {first.value.upper()}."
    return None


def _effect_refusal(statement: tuple[Token, ...]) -> str | None:
    """Why this statement may leave an effect a rollback does not undo, or None."""
    for i, token in enumerate(statement):
        if token.kind in _WORDS:
            word = token.value.upper()
            effect = word in _EFFECT_FUNCTIONS or word.startswith(_EFFECT_PREFIXES)
            if effect and _next_text(statement, i + 1) == "(":
                return (
                    f"refused: {word.lower()}() has effects a rollback cannot undo, and a "
                    "database may run it even to plan the statement."
                )
            if word == "NEXT" and _next_text(statement, i + 1).upper() == "VALUE":
                return "refused: NEXT VALUE FOR advances a sequence, which a rollback cannot undo."
        elif token.text == ":" and _next_text(statement, i + 1, blanks=False) == "=":
            return "refused: := assigns a variable of the session, which a rollback keeps."
    return None


def _analyze_refusal(statement: tuple[Token, ...]) -> str | None:
    """Why this SELECT may write or lock, or None."""
    after_dot = False
    for i, token in enumerate(statement):
        if token.kind in _WORDS:
            word = token.value.upper()
            bare = token.kind == "keyword" or not (token.quoted or after_dot)
            called = word in _ALSO_FUNCTIONS and statement[i + 1 : i + 2] == (_OPEN,)
            if bare and word in _WRITE_WORDS and not called:
                return f"ANALYZE refused: the SELECT contains {word}, so it may write or lock."
        if token.kind not in BLANK_KINDS:
            after_dot = token.text == "."
    return None


def _next_text(statement: tuple[Token, ...], start: int, *, blanks: bool = True) -> str:
    """The text of the first token from `start` on (blanks and comments skipped if asked)."""
    for token in statement[start:]:
        if not (blanks and token.kind in BLANK_KINDS):
            return token.text
    return ""


def _as_read(reason: str, reading: str) -> str:
    """The reason, saying which database's reading of the text it comes from."""
    return f"{reason[:-1]} (as {reading} reads the text)." if reading else reason


_SENTINEL = "\n;"
_WORDS = frozenset({"keyword", "identifier"})
_OPEN = Token("punctuation", "(", "(")
