"""What the kit may run under EXPLAIN, and what under EXPLAIN ANALYZE (pure; no Django)."""

from __future__ import annotations

from functools import lru_cache

import sqlparse
from sqlparse import tokens as T

from kit.analysis.fingerprint import sql_shape

# Statement kinds that have a plan; anything else (DDL, SAVEPOINT, SET...) is not explained.
EXPLAINABLE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
# Words that make a statement more than a read, wherever they appear: a data-modifying CTE
# (WITH x AS (DELETE ...) SELECT), SELECT ... INTO (a new table, a file, variables), locking
# reads (FOR UPDATE/SHARE, LOCK IN SHARE MODE) that would block other sessions.
_WRITE_WORDS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "INTO", "SHARE", "LOCK", "TRUNCATE"}
    | {"CREATE", "DROP", "ALTER", "GRANT", "REVOKE", "CALL", "COPY", "DO", "HANDLER", "LOAD"}
)
# Functions whose effect a rollback does not undo: sequences, advisory locks, files, sessions.
_UNDOABLE_FUNCTIONS = frozenset(
    {
        "NEXTVAL",
        "SETVAL",
        "PG_ADVISORY_LOCK",
        "PG_ADVISORY_LOCK_SHARED",
        "PG_ADVISORY_XACT_LOCK",
        "PG_TRY_ADVISORY_LOCK",
        "PG_TERMINATE_BACKEND",
        "PG_CANCEL_BACKEND",
        "PG_NOTIFY",
        "LO_IMPORT",
        "LO_EXPORT",
        "DBLINK_EXEC",
        "GET_LOCK",
        "RELEASE_LOCK",
        "LOAD_FILE",
        "LOAD_EXTENSION",
    }
)
_EXPLAIN_WORDS = frozenset({"EXPLAIN", "ANALYZE", "ANALYSE", "DESCRIBE", "DESC"})


class RefusedStatement(ValueError):
    """A statement the kit will not run under EXPLAIN (or under ANALYZE); says why."""


def check_explain(sql: str, *, analyze: bool) -> None:
    """Raise RefusedStatement unless `sql` is one statement that may run under this EXPLAIN."""
    reason = _refusal(sql, analyze)
    if reason:
        raise RefusedStatement(reason)


def may_analyze(sql: str) -> bool:
    """True when `sql` may run under ANALYZE: one plain SELECT, nothing it changes survives."""
    return _refusal(sql, True) is None


@lru_cache(maxsize=1024)
def _refusal(sql: str, analyze: bool) -> str | None:
    """Why `sql` may not be explained this way, or None when it may."""
    statements = [s for s in sqlparse.parse(sql) if str(s).strip(" \t\r\n;")]
    if not statements:
        return "there is no SQL statement to explain."
    if len(statements) > 1:
        return f"refused: {len(statements)} statements in one text; EXPLAIN takes one."
    words = _words(statements[0])
    if words and words[0][1] in _EXPLAIN_WORDS:
        return f"refused: the statement already starts with {words[0][1]}."
    kind = sql_shape(sql).kind
    if kind not in EXPLAINABLE:
        return f"{kind} statements have no plan; only SELECT, INSERT, UPDATE and DELETE do."
    if not analyze:
        return None
    if kind != "SELECT":
        return f"ANALYZE runs only SELECT statements; this one is {kind}."
    for ttype, word in words:
        if ttype is not T.Name and word in _WRITE_WORDS:
            return f"ANALYZE refused: the SELECT contains {word}, so it may write or lock."
        if ttype is T.Name and word in _UNDOABLE_FUNCTIONS:
            return f"ANALYZE refused: {word.lower()}() has effects a rollback cannot undo."
    return None


def _words(statement: sqlparse.sql.Statement) -> list[tuple[object, str]]:
    """The statement's keywords and names, upper-cased, in order (no strings or comments)."""
    return [
        (T.Name if token.ttype in T.Name else token.ttype, token.value.upper())
        for token in statement.flatten()
        if token.ttype in T.Keyword or token.ttype in T.Name
    ]
