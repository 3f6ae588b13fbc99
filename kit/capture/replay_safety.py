"""replay_refusal(): why a cell's first run shows its effects could not be rolled back.

%%orm_profile --verify replays a cell inside a transaction on every alias that is rolled back
(kit.capture.rollback). That undoes the replay's writes only when they all go through those
transactions: not a statement that commits (COMMIT, or DDL on MySQL and MariaDB), not a query
from another thread (its own connection), not an alias outside the transaction, not a table
of MySQL's non-transactional engines (MyISAM, MEMORY, ARCHIVE...). The first run's queries
tell, before anything runs again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections

from kit.capture.context import resolve_aliases
from kit.capture.records import QueryRecord
from kit.capture.rollback import ends_transaction

__all__ = ["non_transactional_tables", "replay_refusal"]

# Storage engines that roll back; any other one keeps its rows (MyISAM, Aria, MEMORY...).
_TRANSACTIONAL = frozenset({"InnoDB", "RocksDB", "TokuDB"})


def replay_refusal(
    records: Sequence[QueryRecord],
    using: str | Sequence[str] | None,
    tables_written: Callable[[str], tuple[str, ...]],
) -> str | None:
    """Why replaying the block these records came from could keep some effect, or None.

    tables_written: the tables a statement writes (none for a read), from the analysis layer.
    """
    aliases = set(resolve_aliases(using))
    thread = threading.current_thread().name
    written: dict[str, set[str]] = {}
    for record in records:
        reason = ends_transaction(record.sql, record.vendor)
        if reason is not None:
            return reason
        if record.thread != thread:
            return f"it ran a query in thread {record.thread!r}, on a connection of its own"
        if record.alias not in aliases:
            return f"it used the alias {record.alias!r}, outside the replay's transactions"
        written.setdefault(record.alias, set()).update(tables_written(record.sql))
    for alias, tables in written.items():
        found = non_transactional_tables(alias, tables)
        if found:
            return f"it writes to {', '.join(found)}, whose engine cannot roll back"
    return None


def non_transactional_tables(alias: str, tables: set[str]) -> list[str]:
    """The tables, of those named, whose storage engine has no transactions (MySQL, MariaDB);
    always empty on other backends."""
    connection = connections[alias]
    if connection.vendor != "mysql" or not tables:
        return []
    names = sorted(t.strip('`"') for t in tables)
    marks = ", ".join(["%s"] * len(names))
    # information_schema is read outside any capture: the kit's own query.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({marks})",
            names,
        )
        rows = cursor.fetchall()
    return sorted(
        f"{name} ({engine})" for name, engine in rows if engine and engine not in _TRANSACTIONAL
    )
