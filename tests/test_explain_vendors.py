"""Vendor statements without a server: MySQL 8's timeout, MariaDB's SET STATEMENT, and the runner.

No MySQL 8 server is at hand, so its path is checked against Django's own MySQL operations on a
stand-in connection; MariaDB, PostgreSQL and SQLite also run live in the other explain tests.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import DatabaseError
from django.db.backends.mysql.operations import DatabaseOperations

import kit
from kit.capture import QueryRecord
from kit.explain import ExplainError, explain_records, mysql
from kit.explain.plan import RawExplain
from tests.explain_fixtures import load

SQL = "SELECT `blog_post`.`id` FROM `blog_post` WHERE `blog_post`.`view_count` >= %s"


class FakeCursor:
    """Answers the few statements the MySQL path sends; remembers them all."""

    def __init__(self, answer: Any, fail_on: str | None = None) -> None:
        self.executed: list[tuple[str, Any]] = []
        self.answer = answer
        self.fail_on = fail_on

    def execute(self, sql: str, params: Any = None) -> None:
        self.executed.append((sql, params))
        if self.fail_on and self.fail_on in sql:
            raise DatabaseError(
                "3024 (HY000): Query execution was interrupted, maximum "
                "statement execution time exceeded"
            )

    def fetchone(self) -> tuple[Any, ...]:
        sql = self.executed[-1][0]
        return (0,) if "@@SESSION" in sql else (self.answer,)


def mysql_connection(mariadb: bool) -> Any:
    """A stand-in MySQL 8.0.36 (or MariaDB) connection with Django's real operations."""
    formats = {"JSON", "TEXT", "TRADITIONAL"} | (set() if mariadb else {"TREE"})
    connection = SimpleNamespace(
        mysql_is_mariadb=mariadb,
        mysql_version=(10, 11, 0) if mariadb else (8, 0, 36),
        features=SimpleNamespace(
            supports_explaining_query_execution=True,
            supported_explain_formats=formats,
            supports_explain_analyze=True,
        ),
    )
    connection.ops = DatabaseOperations(connection)
    return connection


def test_mysql8_analyze_runs_explain_analyze_with_max_execution_time_put_back():
    tree = load("mysql8-filter_sort-analyze")["output"]
    connection, cursor = mysql_connection(mariadb=False), FakeCursor(tree)
    with mysql.statement_timeout(connection, cursor, 250):
        raw = mysql.run(connection, cursor, SQL, (100,), analyze=True, timeout_ms=250)
    assert cursor.executed == [
        ("SELECT @@SESSION.max_execution_time", None),
        ("SET SESSION max_execution_time = %s", [250]),
        ("EXPLAIN ANALYZE " + SQL, (100,)),
        ("SET SESSION max_execution_time = %s", [0]),
    ]
    root, _, execution_ms = mysql.parse(raw)
    assert (root.operation, execution_ms) == ("Limit", 0.86)


def test_mysql8_plain_explain_asks_for_json():
    output = load("mysql8-filter_sort-plain")["output"]
    connection, cursor = mysql_connection(mariadb=False), FakeCursor(output)
    raw = mysql.run(connection, cursor, SQL, (100,), analyze=False, timeout_ms=250)
    assert cursor.executed == [("EXPLAIN FORMAT=JSON " + SQL, (100,))]
    assert raw.statement == "EXPLAIN FORMAT=JSON"


def test_mysql8_timeout_is_put_back_when_the_statement_fails():
    connection, cursor = mysql_connection(mariadb=False), FakeCursor("", fail_on="EXPLAIN")
    with pytest.raises(DatabaseError), mysql.statement_timeout(connection, cursor, 250):
        mysql.run(connection, cursor, SQL, (100,), analyze=True, timeout_ms=250)
    assert cursor.executed[-1] == ("SET SESSION max_execution_time = %s", [0])


def test_mariadb_puts_the_timeout_on_the_statement_itself():
    connection, cursor = mysql_connection(mariadb=True), FakeCursor("{}")
    with mysql.statement_timeout(connection, cursor, 250):
        mysql.run(connection, cursor, SQL, (100,), analyze=True, timeout_ms=250)
    assert cursor.executed == [
        ("SET STATEMENT max_statement_time=0.25 FOR ANALYZE FORMAT=JSON " + SQL, (100,))
    ]


def test_mysql_output_is_read_as_json_or_as_tree_text():
    assert mysql.parse(RawExplain("EXPLAIN", '{"query_block": {}}'))[0].operation == "SELECT"
    assert (
        mysql.parse(RawExplain("EXPLAIN ANALYZE", b"-> Table scan on t  (rows=3)"))[0].relation
        == "t"
    )


def record(sql: str, **fields: Any) -> QueryRecord:
    values: dict[str, Any] = {"id": 0, "alias": "default", "vendor": "sqlite", "sql": sql}
    values["params"] = None
    values |= {"many": False, "start_ms": 0.0, "duration_ms": 1.0, "thread": "main"}
    return QueryRecord(**(values | fields))


def test_explain_records_skips_statements_without_a_plan():
    records = [record("SAVEPOINT s1"), record("RELEASE SAVEPOINT s1"), record("BEGIN")]
    results = explain_records(records, "analyze")
    assert (results.plans, results.errors) == ((), ())


@pytest.mark.parametrize("mode", ["", "ANALYZE", "fast"])
def test_unknown_explain_mode_is_refused(mode):
    with pytest.raises(ValueError, match="mode must be one of plain, analyze, whatif"):
        explain_records([], mode)
    refused = pytest.raises(ValueError, match="explain must be one of plain, analyze, whatif")
    with refused, kit.profile(explain=mode):
        pass


@pytest.mark.django_db
def test_a_query_that_failed_in_the_cell_gets_an_error_value():
    from django.db import connection

    # Recorded on the database under test (a record from another vendor is refused unrun).
    failed = record("SELECT * FROM kit_missing", error="no such table", vendor=connection.vendor)
    (error,) = explain_records([failed]).errors
    assert isinstance(error, ExplainError) and error.record_id == 0
    assert "kit_missing" in error.message and "\n" not in error.message


def test_a_timeout_must_be_at_least_one_ms():
    from kit.explain import ExplainOptions

    with pytest.raises(ValueError, match="timeout_ms must be 1 or more, not 0"):
        ExplainOptions(timeout_ms=0)
