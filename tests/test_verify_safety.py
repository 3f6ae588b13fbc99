"""--verify's safety: a cell whose effects a rollback would not undo is never replayed.

Runs on the database DATABASE_URL names (SQLite, PostgreSQL, MariaDB: CI runs all three).
"""

from __future__ import annotations

import pytest
from django.db import connection
from IPython.utils.capture import capture_output

from kit.analysis.replay_plan import tables_written
from kit.capture.records import QueryRecord
from kit.capture.replay_safety import non_transactional_tables, replay_refusal
from sample_app.blog.models import Post

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def record(sql: str, vendor: str = "sqlite", alias: str = "default", thread: str = "MainThread"):
    return QueryRecord(0, alias, vendor, sql, (), False, 0.0, 1.0, thread)


@pytest.mark.parametrize(
    ("records", "using", "reason"),
    [
        ([record("SELECT 1"), record("INSERT INTO blog_tag VALUES (1)")], None, None),
        ([record("COMMIT")], None, "it runs COMMIT, which ends the transaction"),
        (
            [record("CREATE TABLE t (id int)", vendor="mysql")],
            None,
            "it runs CREATE, which MySQL and MariaDB commit at once",
        ),
        ([record("CREATE TABLE t (id int)", vendor="postgresql")], None, None),
        (
            [record("SELECT 1", thread="worker-1")],
            None,
            "it ran a query in thread 'worker-1', on a connection of its own",
        ),
        (
            [record("SELECT 1", alias="other")],
            ["default"],
            "it used the alias 'other', outside the replay's transactions",
        ),
    ],
)
def test_the_first_runs_queries_say_whether_a_replay_could_keep_an_effect(records, using, reason):
    assert replay_refusal(records, using, tables_written) == reason


def test_tables_written_are_those_of_writes_only():
    assert tables_written('UPDATE "blog_post" SET "view_count" = 1') == ("blog_post",)
    assert tables_written('SELECT * FROM "blog_post"') == ()


def run(shell, cell: str):
    shell.user_ns.pop("prof", None)
    shell.user_ns["Post"] = Post
    with capture_output():
        result = shell.run_cell(cell)
    result.raise_error()
    return shell.user_ns["prof"]


def test_a_cell_that_queries_from_a_thread_is_not_replayed(ip_shell):
    # The thread's queries run on its own connection, outside the replay's transaction. The
    # code names no Thread (an executor made elsewhere): the first run's records tell.
    ip_shell.user_ns["run_elsewhere"] = _run_in_a_thread
    cell = """%%orm_profile -o prof --verify
names = [post.author.username for post in Post.objects.order_by("pk")[:10]]
run_elsewhere(lambda: Post.objects.count())
"""
    prof = run(ip_shell, cell)
    (verification,) = prof.verifications
    assert verification.queries_after is None and not verification.verified
    assert "on a connection of its own" in verification.reason


def _run_in_a_thread(work):
    import threading

    from django.db import connections

    def target():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="kit-verify-worker")
    thread.start()
    thread.join()


def test_a_table_without_transactions_is_named(ip_shell):
    """On MariaDB a MyISAM table keeps its rows through a rollback; elsewhere no engine does."""
    if connection.vendor != "mysql":
        assert non_transactional_tables("default", {"blog_post"}) == []
        return
    # The table is made on a connection of its own: DDL commits at once on MariaDB, and the
    # test's transaction must stay open.
    side = connection.get_new_connection(connection.get_connection_params())
    try:
        side.cursor().execute("CREATE TABLE kit_verify_log (n int) ENGINE=MyISAM")
        assert non_transactional_tables("default", {"kit_verify_log", "blog_post"}) == [
            "kit_verify_log (MyISAM)"
        ]
        cell = """%%orm_profile -o prof --verify
from django.db import connection as db
db.cursor().execute("INSERT INTO kit_verify_log VALUES (1)")
names = [post.author.username for post in Post.objects.order_by("pk")[:10]]
"""
        prof = run(ip_shell, cell)
        (verification,) = prof.verifications
        assert "kit_verify_log (MyISAM), whose engine cannot roll back" in verification.reason
        cursor = side.cursor()
        cursor.execute("SELECT COUNT(*) FROM kit_verify_log")
        assert cursor.fetchone() == (1,)  # the first run's row alone: no replay
    finally:
        side.cursor().execute("DROP TABLE IF EXISTS kit_verify_log")
        side.close()


def test_the_help_says_the_replay_runs_code_outside_the_database_again():
    from kit.magics.orm_profile import OrmProfile

    help_text = " ".join(OrmProfile.orm_profile.parser.format_help().split())
    assert "Code outside the database (files, network, prints) runs again" in help_text
    assert OrmProfile.verify.default_value is False
    assert "runs again" in OrmProfile.verify.help
