"""Writing generated rows: emptying the tables, batched inserts, sequence resets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connections, models

from sample_app.datagen.rows import Table

Progress = Callable[[str], None]

# MariaDB's default max_allowed_packet is 16 MB; a quarter of it leaves room to spare.
BATCH_BYTES = 4 * 1024 * 1024
BATCH_ROWS = 5_000
# Tables smaller than this get one progress line, bigger ones one per tenth as well.
PERIODIC_ROWS = 20_000


def seeded_models() -> list[type[models.Model]]:
    """Return the user model, the blog models, and every model that points at them."""
    targets: set[type[models.Model]] = {get_user_model()}
    targets.update(apps.get_app_config("blog").get_models())
    candidates = apps.get_models(include_auto_created=True)
    grown = True
    while grown:
        referencing = {
            model
            for model in candidates
            if model not in targets
            and any(field.related_model in targets for field in model._meta.concrete_fields)
        }
        targets |= referencing
        grown = bool(referencing)
    return sorted(targets, key=lambda model: model._meta.db_table)


def flush(using: str) -> None:
    """Delete every row of the seeded tables in a few statements."""
    connection = connections[using]
    tables = [model._meta.db_table for model in seeded_models()]
    if connection.vendor == "postgresql":
        # TRUNCATE refuses to run while this transaction still holds deferred
        # foreign-key checks (e.g. a second seed inside one test transaction).
        connection.check_constraints()
    # MySQL's TRUNCATE commits the transaction implicitly; its DELETE does not, and
    # explicit primary keys move AUTO_INCREMENT past them anyway.
    reset = connection.vendor != "mysql"
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=reset, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)


def reset_sequences(using: str, seeded: Iterable[type[models.Model]]) -> None:
    """Move the id sequences past the explicit primary keys (PostgreSQL needs it)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(seeded))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def insert(
    table: Table, rows: Iterator[models.Model], using: str, progress: Progress | None
) -> int:
    """Insert the rows in batches, report progress, and return how many were inserted."""
    connection = connections[using]
    manager = table.model._default_manager.db_manager(using)
    label = table.model._meta.label
    # Django lowers the batch further where the vendor limits parameters (SQLite).
    batch_rows = max(1, min(BATCH_ROWS, BATCH_BYTES // table.row_bytes))
    started, done = time.perf_counter(), 0
    for batch in _batches(rows, batch_rows):
        manager.bulk_create(batch, batch_size=batch_rows)
        if connection.queries_logged:
            # With DEBUG on, Django keeps the last 9,000 statements, and one batch's
            # SQL with its values inlined is megabytes: that would exhaust memory.
            connection.queries_log.clear()
        before, done = done, done + len(batch)
        if progress and _passed_a_tenth(before, done, table.rows):
            percent = 100 * done // table.rows
            progress(f"{label:<14} {done:>10,} of {table.rows:,} rows ({percent}%)")
    if progress:
        seconds = time.perf_counter() - started
        progress(f"{label:<14} {done:>10,} rows in {seconds:.2f} s")
    return done


def _passed_a_tenth(before: int, done: int, total: int) -> bool:
    """Return whether a big table's insert has just passed another tenth of its rows."""
    return total >= PERIODIC_ROWS and done < total and 10 * done // total > 10 * before // total


def _batches(rows: Iterator[models.Model], size: int) -> Iterator[list[models.Model]]:
    while batch := list(islice(rows, size)):
        yield batch
