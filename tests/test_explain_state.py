"""EXPLAIN leaves nothing behind: rows, sequences, auto-increment counters, locks, settings.

On each database under test (the suite runs once per database: .ci/run), a profiled cell calls
the functions, sequences and locks whose effects no rollback undoes: on PostgreSQL a function
that calls nextval(), one that inserts (its serial advances), an advisory lock taken through a
function that claims to be STABLE, "nextval"(...) quoted; on MariaDB a stored function that
inserts into a MyISAM table (a deterministic one, which MariaDB runs even to plan), one that
inserts into InnoDB (its auto-increment counter), NEXT VALUE FOR and NEXTVAL(), GET_LOCK and a
user variable. The whole state of the database, read in the cell after its last statement, must
be the same after the kit explained the cell, in every mode, in autocommit and in a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from tests.db_state import database_state

POSTGRESQL_TRAPS = [
    "CREATE SEQUENCE kit_state_seq",
    "CREATE TABLE kit_state_rows (id serial PRIMARY KEY, v int)",
    "CREATE FUNCTION kit_state_next() RETURNS bigint LANGUAGE sql "
    "AS $$ SELECT nextval('kit_state_seq') $$",
    "CREATE FUNCTION kit_state_insert() RETURNS int LANGUAGE plpgsql "
    "AS $$ BEGIN INSERT INTO kit_state_rows (v) VALUES (1); RETURN 1; END $$",
    # A function that claims to be STABLE: the planner may run it even for a plain EXPLAIN.
    "CREATE FUNCTION kit_state_lock(k int) RETURNS boolean LANGUAGE sql STABLE "
    "AS $$ SELECT pg_try_advisory_lock_shared(k) $$",
]
POSTGRESQL_CELL = [
    "SELECT kit_state_next()",
    "SELECT kit_state_insert()",
    "SELECT * FROM kit_state_rows WHERE kit_state_lock(4243)",
    "SELECT pg_try_advisory_lock_shared(4242)",
    "SELECT \"nextval\"('kit_state_seq')",
]
# A volatile function runs only under ANALYZE: plain EXPLAIN shows its plan.
PLANNED_WITHOUT_ANALYZE = {
    "SELECT kit_state_next()",
    "SELECT kit_state_insert()",
    "SELECT kit_state_count()",
}
# Statements without a trap: explained in every mode.
HARMLESS = {"INSERT INTO kit_state_rows (v) VALUES (1)", "SELECT * FROM kit_state_rows"}
POSTGRESQL_DROP = [
    "DROP FUNCTION IF EXISTS kit_state_next(), kit_state_insert(), kit_state_lock(int)",
    "DROP TABLE IF EXISTS kit_state_rows",
    "DROP SEQUENCE IF EXISTS kit_state_seq",
    "SELECT pg_advisory_unlock_all()",
]
MYSQL_TRAPS = [
    "CREATE TABLE kit_state_myisam (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=MyISAM",
    "CREATE TABLE kit_state_innodb (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB",
    "CREATE SEQUENCE kit_state_seq",
    "CREATE FUNCTION kit_state_myisam_insert(x INT) RETURNS INT DETERMINISTIC MODIFIES SQL DATA "
    "BEGIN INSERT INTO kit_state_myisam (v) VALUES (x); RETURN x; END",
    "CREATE FUNCTION kit_state_innodb_insert() RETURNS INT MODIFIES SQL DATA "
    "BEGIN INSERT INTO kit_state_innodb (v) VALUES (1); RETURN 1; END",
]
MYSQL_CELL = [
    "SELECT kit_state_myisam_insert(7)",
    "SELECT * FROM kit_state_innodb WHERE id = kit_state_myisam_insert(8)",
    "SELECT kit_state_innodb_insert()",
    "SELECT NEXT VALUE FOR kit_state_seq",
    "SELECT NEXTVAL(kit_state_seq)",
    "SELECT GET_LOCK('kit_state', 0)",
    "SELECT @kit_state := 1",
]
MYSQL_DROP = [
    "DROP FUNCTION IF EXISTS kit_state_myisam_insert",
    "DROP FUNCTION IF EXISTS kit_state_innodb_insert",
    "DROP TABLE IF EXISTS kit_state_myisam, kit_state_innodb",
    "DROP SEQUENCE IF EXISTS kit_state_seq",
    "SELECT RELEASE_ALL_LOCKS()",
    "SET @kit_state = NULL",
]
SQLITE_TRAPS = ["CREATE TABLE kit_state_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, v int)"]
SQLITE_CELL = [
    "INSERT INTO kit_state_rows (v) VALUES (1)",
    "SELECT * FROM kit_state_rows",
    # A Python function on the connection: query_only keeps the file, not what Python does.
    "SELECT kit_state_count()",
]
SQLITE_CALLS: list[int] = []
SQLITE_DROP = ["DROP TABLE IF EXISTS kit_state_rows"]
TRAPS = {
    "postgresql": (POSTGRESQL_TRAPS, POSTGRESQL_CELL, POSTGRESQL_DROP),
    "mysql": (MYSQL_TRAPS, MYSQL_CELL, MYSQL_DROP),
    "sqlite": (SQLITE_TRAPS, SQLITE_CELL, SQLITE_DROP),
}


def execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.fixture
def traps(django_db_setup, django_db_blocker) -> Iterator[list[str]]:
    """The vendor's functions, sequences and tables, made in autocommit, dropped after."""
    create, cell, drop = TRAPS[connection.vendor]
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            SQLITE_CALLS.clear()
            connection.connection.create_function(
                "kit_state_count", 0, lambda: SQLITE_CALLS.append(1) or len(SQLITE_CALLS)
            )
        execute(drop)
        execute(create)
        try:
            yield cell
        finally:
            execute(drop)


@pytest.fixture
def no_png(ip_shell):
    ip_shell.run_line_magic("config", "OrmProfile.static_images = False")
    yield
    ip_shell.run_line_magic("config", "OrmProfile.static_images = True")


def cell_source(mode: str, statements: list[str]) -> str:
    """A profiled cell: the statements through Django's cursor, a plain query, the state."""
    lines = [
        f"%%orm_profile --explain {mode} -o state_profile",
        "from django.db import connection",
        "from sample_app.blog.models import Post",
        "from kit.capture import suppress_capture",
        "from tests.db_state import database_state",
        "with connection.cursor() as cursor:",
        *[f"    cursor.execute({sql!r})" for sql in statements],
        "list(Post.objects.filter(view_count__gte=1).order_by('-created_at')[:3])",
        "with suppress_capture():",
        "    left_by_the_cell = database_state()",
    ]
    return "\n".join(lines) + "\n"


def held_locks() -> int:
    """How many times the session holds the cell's lock (each release frees one)."""
    if connection.vendor == "postgresql":
        release = "SELECT pg_advisory_unlock_shared(4242)"
    elif connection.vendor == "mysql":
        release = "SELECT RELEASE_LOCK('kit_state')"
    else:
        return len(SQLITE_CALLS)  # how many times the function ran
    count = 0
    with connection.cursor() as cursor:
        while count < 5:
            cursor.execute(release)
            if not cursor.fetchone()[0]:
                break
            count += 1
    return count


def run_cell(ip_shell: Any, mode: str, statements: list[str]) -> Any:
    result = ip_shell.run_cell(cell_source(mode, statements))
    result.raise_error()
    return ip_shell.user_ns["left_by_the_cell"], ip_shell.user_ns["state_profile"]


@pytest.mark.parametrize("mode", ["analyze", "whatif", "plain"])
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "transaction"])
def test_explain_leaves_the_database_as_the_cell_left_it(
    traps, mode, in_transaction, ip_shell, no_png, django_db_blocker
):
    with django_db_blocker.unblock():
        before_cell = database_state()
        if in_transaction:
            with transaction.atomic():
                left_by_the_cell, profile = run_cell(ip_shell, mode, traps)
                after_the_kit = database_state()
                locks = held_locks()
                transaction.set_rollback(True)
        else:
            left_by_the_cell, profile = run_cell(ip_shell, mode, traps)
            after_the_kit = database_state()
            locks = held_locks()
    assert left_by_the_cell != before_cell  # the cell did change the database
    for part, value in left_by_the_cell.items():
        assert after_the_kit[part] == value, part  # and the kit changed nothing after it
    assert locks == 1  # taken (or called) once, by the cell
    refused = {e.sql: e.message for e in profile.explain_errors}
    planned = {p.sql for p in profile.plans}
    for sql in traps:
        if sql in HARMLESS or (mode != "analyze" and sql in PLANNED_WITHOUT_ANALYZE):
            assert sql in planned, refused.get(sql)
        else:
            assert "refused" in refused.get(sql, ""), (sql, refused.get(sql), sql in planned)
    assert any("blog_post" in sql for sql in planned), refused


@pytest.mark.django_db
def test_the_read_only_transaction_ends_with_the_kits_own():
    from kit.explain import Plan, explain_sql
    from sample_app.blog.models import Tag

    plan = explain_sql('SELECT COUNT(*) FROM "blog_tag"'.replace('"', _quote()), analyze=True)
    assert isinstance(plan, Plan), plan
    Tag.objects.create(name="kit state tag", slug="kit-state-tag")  # the user's transaction writes
    assert Tag.objects.filter(slug="kit-state-tag").exists()
    assert database_state()["settings"] == settings_after_a_plan()


def _quote() -> str:
    return "`" if connection.vendor == "mysql" else '"'


def settings_after_a_plan() -> Any:
    from kit.explain import explain_sql

    before = database_state()["settings"]
    explain_sql(f"SELECT 1 FROM {_quote()}blog_tag{_quote()}", analyze=True)
    return before


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "transaction"])
def test_the_database_itself_refuses_what_the_checks_would_miss(
    traps, in_transaction, monkeypatch, django_db_blocker
):
    from contextlib import nullcontext

    from kit.explain import Plan, explain_sql, runner
    from tests.spies import spy_statements

    monkeypatch.setattr(runner, "check_routines", lambda *args, **kwargs: None)
    writes = {
        "postgresql": "SELECT kit_state_insert()",
        "mysql": "SELECT kit_state_innodb_insert()",
        "sqlite": "SELECT * FROM kit_state_rows",
    }
    with django_db_blocker.unblock():
        before = database_state()
        with transaction.atomic() if in_transaction else nullcontext(), spy_statements() as spy:
            result = explain_sql(writes[connection.vendor], analyze=True)
            if in_transaction:
                transaction.set_rollback(True)
        after = database_state()
    read_only = [s for s in spy.sql if "READ ONLY" in s.upper() or "query_only" in s]
    if connection.vendor == "mysql" and in_transaction:
        # Inside the user's transaction nothing makes it read-only: the checks are the guarantee.
        assert read_only == []
        return
    assert after == before
    if connection.vendor == "sqlite":
        assert isinstance(result, Plan)
        assert read_only == ["PRAGMA query_only", "PRAGMA query_only = 1", "PRAGMA query_only = 0"]
    else:
        assert not isinstance(result, Plan)
        assert "read-only transaction" in result.message.replace("READ ONLY", "read-only")
