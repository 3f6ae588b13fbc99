"""The connection EXPLAIN runs on: its state, a rolled-back transaction, a statement timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.db import DatabaseError, transaction

import kit.explain.mysql as mysql
import kit.explain.postgresql as postgresql
import kit.explain.sqlite as sqlite
from kit.capture import suppress_capture
from kit.explain.findings import Thresholds

# The vendor modules by connection.vendor, imported by their full names: `from kit.explain
# import ...` would read the package, whose __init__ imports runner, which imports this module.
VENDORS: dict[str, ModuleType] = {"sqlite": sqlite, "postgresql": postgresql, "mysql": mysql}
# Words in the drivers' messages when a statement ran past the kit's timeout.
_TIMEOUT_WORDS = ("statement timeout", "max_statement_time", "max_execution_time", "interrupted")


@dataclass(frozen=True, slots=True)
class ExplainOptions:
    """How long a statement may run under EXPLAIN, and when a plan step is worth a finding."""

    timeout_ms: int = 10_000
    thresholds: Thresholds = field(default_factory=Thresholds)

    def __post_init__(self) -> None:
        # 0 would switch PostgreSQL's statement_timeout off, not make it immediate.
        if self.timeout_ms < 1:
            raise ValueError(f"timeout_ms must be 1 or more, not {self.timeout_ms}.")


@contextmanager
def rolled_back(connection: Any, timeout_ms: int, *, read_only: bool = False) -> Iterator[Any]:
    """A cursor in a transaction (a savepoint inside the user's) that is always rolled back.

    Nothing run here is captured by any profile, and each statement has a timeout. With
    read_only, the database itself refuses writes where it can: PostgreSQL's SET TRANSACTION
    READ ONLY (savepoints too), MariaDB/MySQL's START TRANSACTION READ ONLY (only when no
    transaction of the user's is open), SQLite's PRAGMA query_only. Settings the kit changes
    end with the transaction or are put back.
    """
    vendor = VENDORS[connection.vendor]
    outermost = connection.get_autocommit() and not connection.in_atomic_block
    with suppress_capture(), transaction.atomic(using=connection.alias):
        try:
            with (
                connection.cursor() as cursor,
                vendor.read_only(connection, cursor, outermost=outermost)
                if read_only
                else nullcontext(),
                vendor.statement_timeout(connection, cursor, timeout_ms),
            ):
                yield cursor
        finally:
            transaction.set_rollback(True, using=connection.alias)


def connection_problem(connection: Any) -> str | None:
    """Why EXPLAIN cannot run on this connection now (a failed transaction), or None."""
    if connection.in_atomic_block and connection.needs_rollback:
        return (
            "the connection's transaction is marked for rollback after an error; "
            "leave or roll back that atomic() block, then explain again."
        )
    if connection.vendor == "postgresql" and postgresql.in_failed_transaction(
        connection.connection
    ):
        return (
            "the connection is in a failed transaction (current transaction is aborted); "
            "roll it back with django.db.transaction.rollback(), then explain again."
        )
    return None


def database_message(exc: DatabaseError, timeout_ms: int) -> str:
    """The driver's message on one line, saying so when the kit's timeout stopped it."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else type(exc).__name__
    if any(word in message.lower() for word in _TIMEOUT_WORDS):
        return f"stopped by the kit's {timeout_ms:,} ms statement timeout ({message})."
    return f"{type(exc).__name__}: {message}"
