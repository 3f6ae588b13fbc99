"""%%orm_profile --repeat N: the cell N times, each rolled back; medians and spread, as %timeit."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import kit
from kit.analysis.timings import RunTimes
from kit.capture.rollback import ends_transaction, rolled_back
from kit.errors import RollbackRefused
from kit.render.compare import SAME, Comparison
from sample_app.blog.models import Tag
from tests.figure_cases import repeated, shapes_profile

# Every alias: rolled_back() opens a transaction on each, as the magic does by default.
pytestmark = pytest.mark.django_db(databases=["default", "other"])


def run(shell, cell: str):
    with capture_output() as captured:
        # As a notebook runs it: IPython's displayhook reads the cell from the history (a
        # cell ending in ";" shows nothing), so an unstored cell would be judged by the last
        # stored one, another test's.
        result = shell.run_cell(cell, store_history=True)
    return result, captured


def test_runs_times_give_median_and_spread():
    runs = RunTimes((30.0, 10.0, 20.0, 50.0, 40.0), (3.0, 1.0, 2.0, 2.5, 9.0), (4, 4, 4, 4, 4))
    assert (runs.runs, runs.median_wall_ms, runs.median_db_ms) == (5, 30.0, 2.5)
    assert (runs.spread_wall_ms, runs.spread_db_ms) == (40.0, 8.0) and runs.same_queries
    assert not RunTimes((1.0, 2.0), (1.0, 1.0), (3, 1)).same_queries
    with pytest.raises(ValueError, match="one wall time"):
        RunTimes((1.0,), (1.0, 2.0), (1,))


@pytest.mark.parametrize(
    ("sql", "vendor", "reason"),
    [
        ("SELECT 1", "mysql", None),
        ("INSERT INTO t VALUES (1)", "postgresql", None),
        ("SAVEPOINT s1", "sqlite", None),
        ("ROLLBACK TO SAVEPOINT s1", "postgresql", None),
        ("COMMIT", "sqlite", "it runs COMMIT, which ends the transaction"),
        ("  rollback", "postgresql", "it runs ROLLBACK, which ends the transaction"),
        ("START TRANSACTION", "mysql", "it runs START TRANSACTION, which ends the transaction"),
        ("CREATE TABLE t (id int)", "postgresql", None),  # transactional DDL
        (
            "CREATE TABLE t (id int)",
            "mysql",
            "it runs CREATE, which MySQL and MariaDB commit at once",
        ),
        ("CREATE TEMPORARY TABLE t (id int)", "mysql", None),
        (
            "alter table t add column x int",
            "mysql",
            "it runs ALTER, which MySQL and MariaDB commit at once",
        ),
        ("TRUNCATE t", "mysql", "it runs TRUNCATE, which MySQL and MariaDB commit at once"),
        (
            "LOCK TABLES t WRITE",
            "mysql",
            "it runs LOCK TABLES, which MySQL and MariaDB commit at once",
        ),
    ],
)
def test_statements_that_would_end_the_transaction(sql, vendor, reason):
    assert ends_transaction(sql, vendor) == reason


def test_a_block_is_rolled_back_and_a_commit_is_refused_before_it_runs():
    before = Tag.objects.count()
    with rolled_back():
        Tag.objects.create(name="rolled back", slug="rolled-back")
        assert Tag.objects.count() == before + 1
    assert Tag.objects.count() == before
    with pytest.raises(RollbackRefused, match="it runs COMMIT"), rolled_back():
        Tag.objects.create(name="kept?", slug="kept")
        # A cell that swallows the error is refused all the same.
        with connection.cursor() as cursor, contextlib.suppress(RollbackRefused):
            cursor.execute("COMMIT")
    assert Tag.objects.count() == before
    assert connection.execute_wrappers == []


def test_django_commit_inside_the_block_is_refused():
    from django.db import transaction

    refused = pytest.raises(RollbackRefused, match="forbidden when an 'atomic' block is active")
    with refused, rolled_back():
        transaction.commit()


def test_repeat_runs_the_cell_n_times_each_rolled_back(ip_shell):
    before = Tag.objects.count()
    # IPython stops updating `_` once the user assigned it (another test's `for _ in ...`).
    for unders in ("_", "__", "___"):
        ip_shell.user_ns.pop(unders, None)
    ip_shell.user_ns["seen"] = []
    cell = (
        "%%orm_profile --repeat 3 -o rep\n"
        "from sample_app.blog.models import Tag\n"
        "Tag.objects.create(name='repeat me', slug='repeat-me')\n"
        "seen.append(Tag.objects.count())\n"
        "len(seen)\n"
    )
    result, captured = run(ip_shell, cell)
    result.raise_error()
    prof = ip_shell.user_ns["rep"]
    # Each run saw the table as it was: its own row only, never the runs' before it.
    assert ip_shell.user_ns["seen"] == [before + 1] * 3
    assert Tag.objects.count() == before
    assert prof.runs is not None and prof.runs.runs == 3 and prof.runs.queries == (2, 2, 2)
    assert prof.query_count == 2  # the profile shown is the first run's
    summary = captured.outputs[0].data["text/plain"].splitlines()[0]
    assert "median of 3 runs, each rolled back (spread: " in summary
    assert f"{prof.runs.median_wall_ms:,.1f} ms wall time" in summary
    # The cell's last value is shown once, by the first run (a later one would show 2, 3).
    assert ip_shell.user_ns["_"] == 1


def test_repeat_refuses_a_cell_that_commits_and_keeps_nothing(ip_shell):
    before = Tag.objects.count()
    cell = (
        "%%orm_profile --repeat 2\n"
        "from django.db import connection\n"
        "from sample_app.blog.models import Tag\n"
        "Tag.objects.create(name='commit me', slug='commit-me')\n"
        "connection.cursor().execute('COMMIT')\n"
    )
    result, _ = run(ip_shell, cell)
    assert isinstance(result.error_in_exec, UsageError)
    message = str(result.error_in_exec)
    assert message.startswith("--repeat 2: Cannot run this cell in a rolled-back transaction")
    assert "it runs COMMIT" in message and message.endswith("Run it without --repeat.")
    assert Tag.objects.count() == before
    assert connection.execute_wrappers == []


def test_repeat_needs_one_run_or_more(ip_shell):
    result, _ = run(ip_shell, "%%orm_profile --repeat 0\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "--repeat needs a number of runs, 1 or more, not 0." in str(result.error_in_exec)


def test_compare_uses_medians_and_calls_a_change_within_the_spread_noise():
    before = repeated(shapes_profile(3, name="before"), (100.0, 80.0, 140.0), (5.0, 6.0, 5.5))
    after = repeated(shapes_profile(3, name="after"), (90.0, 120.0, 95.0), (2.0, 2.1, 2.2))
    metrics = {m.name: m for m in Comparison(before, after).metrics}
    wall, db = metrics["wall time"], metrics["database time"]
    assert (wall.before, wall.after, wall.spread) == (100.0, 95.0, 60.0)
    assert wall.noise and wall.color == SAME and "noise: runs spread 60.0 ms" in wall.change
    assert wall.label == "wall time (median)"
    # 5.5 -> 2.1 ms is more than either side's spread (1.0 and 0.2 ms): a real change.
    assert not db.noise and db.color != SAME
    # One side without runs: no medians, no noise.
    plain = Comparison(shapes_profile(3), after).metrics
    assert all(m.spread is None for m in plain)


def test_kit_compare_of_repeated_profiles_in_words():
    before = repeated(shapes_profile(3, name="before"), (100.0, 80.0, 140.0), (5.0, 6.0, 5.5))
    after = repeated(shapes_profile(3, name="after"), (90.0, 120.0, 95.0), (2.0, 2.1, 2.2))
    text = repr(kit.compare(before, after))
    assert "wall time (median)" in text and "noise" in text


def test_ddl_is_refused_on_mysql_and_rolled_back_where_it_is_transactional(ip_shell):
    cell = (
        "%%orm_profile --repeat 2\n"
        "from django.db import connection\n"
        "connection.cursor().execute('CREATE TABLE kit_repeat_probe (id integer)')\n"
    )
    result, _ = run(ip_shell, cell)
    if connection.vendor == "mysql":
        # MariaDB and MySQL commit before any DDL: refused before it reaches the server.
        assert isinstance(result.error_in_exec, UsageError)
        assert "it runs CREATE, which MySQL and MariaDB commit at once" in str(
            result.error_in_exec
        )
    else:
        result.raise_error()  # SQLite and PostgreSQL roll DDL back like any write
    assert "kit_repeat_probe" not in connection.introspection.table_names()
