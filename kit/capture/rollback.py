"""rolled_back(): run a block inside a transaction on every alias, and always roll it back.

%%orm_profile --repeat N runs a cell N times; a cell that writes would otherwise write N times
(and each run would see the last one's rows). A statement that would end the transaction
before the rollback (COMMIT; on MySQL and MariaDB any DDL, LOCK TABLES and the like, which
commit at once) is refused before it reaches the database, so nothing the block did is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.transaction import TransactionManagementError

from kit.capture.context import resolve_aliases
from kit.errors import RollbackRefused

# Ends the transaction on every database (ROLLBACK TO SAVEPOINT does not).
_ENDS = re.compile(
    r"\s*(COMMIT|END|ROLLBACK(?!\s+TO\b)|BEGIN|START\s+TRANSACTION|SET\s+autocommit)\b", re.I
)
# MySQL and MariaDB commit before (and after) these: "Statements That Cause an Implicit Commit"
# in their manuals. A temporary table is the exception.
_COMMITS_ON_MYSQL = re.compile(
    r"\s*(CREATE(?!\s+TEMPORARY)|ALTER|DROP(?!\s+TEMPORARY)|TRUNCATE|RENAME|LOCK\s+TABLES"
    r"|UNLOCK\s+TABLES|GRANT|REVOKE|ANALYZE\s+TABLE|OPTIMIZE\s+TABLE|REPAIR\s+TABLE|LOAD\s+DATA)\b",
    re.I,
)


def ends_transaction(sql: str, vendor: str) -> str | None:
    """Why this statement would end the enclosing transaction, or None when it does not."""
    found = _ENDS.match(sql)
    if found:
        return f"it runs {found[1].upper()}, which ends the transaction"
    if vendor == "mysql":
        found = _COMMITS_ON_MYSQL.match(sql)
        if found:
            return f"it runs {found[1].upper()}, which MySQL and MariaDB commit at once"
    return None


class CommitGuard:
    """An execute_wrapper that refuses, before it runs, a statement that would commit."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict
    ) -> Any:
        reason = ends_transaction(sql, context["connection"].vendor)
        if reason is not None:
            self.refused = reason
            raise _refused(reason)
        return execute(sql, params, many, context)


@contextmanager
def rolled_back(using: str | Sequence[str] | None = None) -> Iterator[CommitGuard]:
    """Run the block in a transaction on each alias (default: all) and roll them all back.

    Raises RollbackRefused when the block tried to commit: a statement that would (refused
    before it ran, even if the block caught the error), or transaction.commit() and durable
    atomic blocks, which Django refuses inside a transaction.
    """
    guard = CommitGuard()
    try:
        with ExitStack() as stack:
            for alias in resolve_aliases(using):
                stack.enter_context(transaction.atomic(using=alias))
                # Runs before the atomic block exits: whatever happened, it rolls back.
                stack.callback(transaction.set_rollback, True, using=alias)
                stack.enter_context(connections[alias].execute_wrapper(guard))
            yield guard
    except TransactionManagementError as exc:  # transaction.commit() inside the block
        raise _refused(str(exc).rstrip(".")) from exc
    except RuntimeError as exc:  # a durable atomic block, which cannot nest
        if "durable" not in str(exc):
            raise
        raise _refused(str(exc).rstrip(".")) from exc
    if guard.refused is not None:
        raise _refused(guard.refused)


def _refused(reason: str) -> RollbackRefused:
    return RollbackRefused(f"Cannot run this cell in a rolled-back transaction: {reason}.")
