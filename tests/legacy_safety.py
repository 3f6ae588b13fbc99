"""The EXPLAIN safety checks as they were before the kit had one SQL lexer (sqlparse-based).

Kept only as the tests' yardstick: whatever these refused, kit.explain.safety still refuses.
Copied from kit/explain/safety.py at c639afa..d291d69, the lists imported rather than restated
(but the list of functions with effects, restated as it was).
"""

from __future__ import annotations

import sqlparse
from sqlparse import tokens as T

from kit.analysis.fingerprint import sql_shape
from kit.explain.safety import _EXPLAIN_WORDS, _WRITE_WORDS, EXPLAINABLE

# The list as it was (kit.explain.safety now refuses these and more, as calls, in any EXPLAIN).
_UNDOABLE_FUNCTIONS = frozenset(
    {"NEXTVAL", "SETVAL", "PG_ADVISORY_LOCK", "PG_ADVISORY_LOCK_SHARED", "PG_ADVISORY_XACT_LOCK"}
    | {"PG_TRY_ADVISORY_LOCK", "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "PG_NOTIFY"}
    | {"LO_IMPORT", "LO_EXPORT", "DBLINK_EXEC", "GET_LOCK", "RELEASE_LOCK", "LOAD_FILE"}
    | {"LOAD_EXTENSION"}
)


def legacy_refusal(sql: str, analyze: bool) -> str | None:
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
