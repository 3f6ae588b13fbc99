"""Everything a database keeps for a session, read back to compare before and after the kit.

Rows of every table (transactional or not), sequences' values, auto-increment counters, the
locks the session holds and its settings. Read through Django's cursor, in the same session.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

# Session variables that change on their own between two reads.
_MOVING = frozenset({"timestamp", "rand_seed1", "rand_seed2", "warning_count", "error_count"})


def database_state(alias: str = "default") -> dict[str, Any]:
    """The database as this session sees it, as plain values."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _postgresql(cursor)
        if connection.vendor == "mysql":
            return _mysql(cursor)
        return _sqlite(cursor)


def _rows(cursor: Any, quote: Any, tables: list[str]) -> dict[str, list[str]]:
    state = {}
    for table in tables:
        cursor.execute(f"SELECT * FROM {quote(table)}")
        state[table] = sorted(repr(tuple(row)) for row in cursor.fetchall())
    return state


def _all(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return sorted((tuple(row) for row in cursor.fetchall()), key=repr)


def _postgresql(cursor: Any) -> dict[str, Any]:
    tables = [
        name
        for (name,) in _all(
            cursor,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
    ]
    return {
        "rows": _rows(cursor, lambda n: f'"{n}"', tables),
        "sequences": _all(cursor, "SELECT sequencename, last_value FROM pg_sequences"),
        "settings": _all(cursor, "SELECT name, setting FROM pg_settings"),
        # Last, so that it sees the locks the reads above took in an open transaction.
        "locks": _all(
            cursor,
            "SELECT locktype, relation::regclass::text, classid, objid, objsubid, mode, granted "
            "FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND locktype NOT IN ('virtualxid', 'transactionid')",
        ),
    }


def _mysql(cursor: Any) -> dict[str, Any]:
    tables = _all(
        cursor,
        "SELECT TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE()",
    )
    return {
        "rows": _rows(cursor, lambda n: f"`{n}`", [n for n, kind, _ in tables if kind != "VIEW"]),
        "auto_increment": [(name, counter) for name, _, counter in tables],
        "settings": [
            row for row in _all(cursor, "SHOW SESSION VARIABLES") if row[0] not in _MOVING
        ],
        "user_variables": _all(cursor, "SELECT * FROM information_schema.USER_VARIABLES"),
        "transaction": _all(cursor, "SELECT @@in_transaction, @@tx_read_only, @@autocommit"),
    }


def _sqlite(cursor: Any) -> dict[str, Any]:
    tables = [
        name for (name,) in _all(cursor, "SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    pragmas = ("query_only", "foreign_keys", "recursive_triggers", "journal_mode", "synchronous")
    settings = {}
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
        settings[pragma] = cursor.fetchone()[0]
    return {"rows": _rows(cursor, lambda n: f'"{n}"', tables), "settings": settings}
