"""EXPLAIN never changes a row: each guarantee checked live on the database under test.

The suite runs once per database (SQLite, PostgreSQL, MariaDB: .ci/run), so every test here
runs on each of them; where databases differ, the test says what each must do.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F
from hypothesis import given, settings
from hypothesis import strategies as st

import kit
from kit.analysis.fingerprint import sql_shape
from kit.capture import QueryRecord
from kit.explain import ExplainError, ExplainOptions, Plan, explain_records, explain_sql
from kit.explain import postgresql as pg
from kit.explain.safety import RefusedStatement, check_explain
from sample_app.blog.models import Like, Post, Tag
from tests.legacy_safety import legacy_refusal
from tests.spies import snapshot, spy_statements


@pytest.fixture
def no_png(ip_shell):
    """Plan figures without kaleido's PNG (2 s each); the default comes back after."""
    ip_shell.run_line_magic("config", "OrmProfile.static_images = False")
    yield
    ip_shell.run_line_magic("config", "OrmProfile.static_images = True")


def sql_of(queryset: Any) -> tuple[str, Any]:
    return queryset.query.get_compiler(queryset.db).as_sql()


# The checks' table from before the kit had one SQL lexer: sqlparse read these.
REFUSED = [
    ("SELECT 1; DELETE FROM blog_tag", False, "2 statements in one text"),
    ("SELECT 1; DELETE FROM blog_tag", True, "2 statements in one text"),
    ("SELECT 1;;SELECT 2", False, "2 statements in one text"),
    ("EXPLAIN SELECT 1", False, "already starts with EXPLAIN"),
    ("explain analyze select 1", False, "already starts with EXPLAIN"),
    ("ANALYZE SELECT 1", False, "already starts with ANALYZE"),
    ("/* why */ ANALYZE FORMAT=JSON SELECT 1", False, "already starts with ANALYZE"),
    ("DESCRIBE blog_tag", False, "already starts with DESCRIBE"),
    ("CREATE INDEX i ON blog_tag (slug)", False, "DDL statements have no plan"),
    ("SAVEPOINT s1", False, "SAVEPOINT statements have no plan"),
    ("", False, "no SQL statement"),
    ("UPDATE blog_tag SET slug = %s", True, "this one is UPDATE"),
    ("INSERT INTO blog_tag (name) VALUES (%s)", True, "this one is INSERT"),
    ("DELETE FROM blog_tag", True, "this one is DELETE"),
    ("WITH d AS (DELETE FROM blog_tag RETURNING id) SELECT * FROM d", True, "contains DELETE"),
    ("SELECT * FROM blog_tag FOR UPDATE", True, "contains UPDATE"),
    ("SELECT * FROM blog_tag LOCK IN SHARE MODE", True, "contains LOCK"),
    ("SELECT * INTO copy FROM blog_tag", True, "contains INTO"),
    ("SELECT nextval('blog_tag_id_seq')", True, "nextval() has effects"),
]
ACCEPTED = [
    ('SELECT "blog_tag"."id" FROM "blog_tag" WHERE "blog_tag"."name" = %s', True),
    ("WITH t AS (SELECT 1 AS x) SELECT x FROM t", True),
    ("(SELECT 1) UNION (SELECT 2)", True),
    ("SELECT ';' AS semicolon, 'DELETE' AS word -- ; DROP TABLE x", True),
    ("SELECT 1;", True),
    ('SELECT "update" FROM "blog_tag"', True),  # a quoted name, not the keyword
    ("UPDATE blog_tag SET slug = %s", False),  # plain EXPLAIN does not run it
    ("WITH d AS (DELETE FROM blog_tag RETURNING id) SELECT * FROM d", False),
]
# Texts that one database reads as code where another reads a string or comment. Each line says
# what runs where; the sqlparse checks accepted the ones marked "hole".
REFUSED_AS_SOME_DATABASE_READS_IT = [
    # MySQL, and PostgreSQL without standard_conforming_strings: \' escapes the quote, so
    # "; DELETE" is code (sqlparse read so too).
    (
        "SELECT 'a\\'' ; DELETE FROM blog_tag; -- '",
        False,
        "(as PostgreSQL without standard_conforming_strings reads the text)",
    ),
    ("SELECT 'a\\'' ; DELETE FROM blog_tag; -- '", True, "2 statements in one text"),
    # PostgreSQL and SQLite: 'x\' is a whole string, so "; DELETE" is code (hole).
    ("SELECT 'x\\' ; DELETE FROM blog_tag; -- '", False, "2 statements in one text"),
    # PostgreSQL: comments nest, so the quote is inside one and "; DELETE" is code (hole).
    (
        "SELECT 1 /* /* */ ' */ ; DELETE FROM blog_tag; -- '",
        False,
        "(as PostgreSQL reads the text)",
    ),
    # PostgreSQL: \r ends a -- comment (sqlparse read so too).
    (
        "SELECT 1 --x\r; DELETE FROM blog_tag",
        False,
        "2 statements in one text; EXPLAIN takes one (as PostgreSQL reads the text)",
    ),
    # MySQL: "--x" is two minus signs, not a comment (hole).
    (
        "SELECT 1 --x ; DELETE FROM blog_tag",
        False,
        "2 statements in one text; EXPLAIN takes one (as MySQL reads the text)",
    ),
    # MySQL: # starts a comment, so the quote in it opens nothing (sqlparse read so too).
    (
        "SELECT 1 # '\n; DELETE FROM blog_tag -- '",
        False,
        "2 statements in one text; EXPLAIN takes one (as MySQL reads the text)",
    ),
    # MySQL runs what is inside /*! ... */ (hole).
    (
        "SELECT 1 /*! ; DELETE FROM blog_tag */",
        False,
        "2 statements in one text; EXPLAIN takes one (as MySQL reads the text)",
    ),
    ("SELECT * FROM blog_tag /*!50000 FOR UPDATE */", True, "contains UPDATE"),
    ("SELECT * FROM blog_tag /*M! LOCK IN SHARE MODE */", True, "contains LOCK"),
    # MySQL has no dollar quotes (hole).
    ("SELECT $$ ; DELETE FROM blog_tag; $$", False, "3 statements in one text"),
    # A quoted function name is still the function (hole).
    ("SELECT \"nextval\"('blog_tag_id_seq')", True, "nextval() has effects"),
    ("SELECT pg_catalog.setval('blog_tag_id_seq', 1)", True, "setval() has effects"),
    ("(EXPLAIN SELECT 1)", False, "already starts with EXPLAIN"),
    ("SELECT REPLACE (name) FROM blog_tag", True, "contains REPLACE"),
    ("SELECT * FROM blog_tag WHERE name = 'x", False, "never closed"),
    ("SELECT * FROM blog_tag /* FOR UPDATE", True, "never closed"),
]
# Django's own pattern lookups (contains, on a column: pattern_esc) on SQLite, PostgreSQL, MySQL.
SQLITE_CONTAINS = r"""SELECT "t"."id" FROM "t" WHERE "t"."a" LIKE %s ESCAPE '\' LIMIT 21"""
SQLITE_CONTAINS_F = (
    r"""SELECT "t"."id" FROM "t" WHERE "t"."a" LIKE '%%' || REPLACE(REPLACE(REPLACE("t"."b", """
    r"""'\', '\\'), '%%', '\%%'), '_', '\_') || '%%' ESCAPE '\'"""
)
POSTGRESQL_CONTAINS_F = (
    r"""SELECT "t"."id" FROM "t" WHERE "t"."a" LIKE '%%' || REPLACE(REPLACE(REPLACE("t"."b", """
    r"""E'\\', E'\\\\'), E'%%', E'\\%%'), E'_', E'\\_') || '%%'"""
)
MYSQL_CONTAINS_F = (
    r"""SELECT `t`.`id` FROM `t` WHERE `t`.`a` LIKE BINARY CONCAT('%%', REPLACE(REPLACE(REPLACE("""
    r"""`t`.`b`, '\\', '\\\\'), '%%', '\%%'), '_', '\_'), '%%')"""
)
# A comment is no statement in any database; sqlparse counted one after the last ";" as one.
COMMENT_AFTER_THE_LAST_SEMICOLON = ["SELECT 1; -- done", "SELECT 1 /* a */ ; /* b */"]
ACCEPTED_AS_EVERY_DATABASE_READS_IT = [
    (SQLITE_CONTAINS, True),
    (SQLITE_CONTAINS_F, True),
    (POSTGRESQL_CONTAINS_F, True),
    (MYSQL_CONTAINS_F, True),
    ('SELECT REPLACE("t"."name", %s, %s) AS "r" FROM "t"', True),  # Django's Replace()
    ('SELECT "t"."update", "t"."lock", "load" FROM "t"', True),
    *[(sql, True) for sql in COMMENT_AFTER_THE_LAST_SEMICOLON],
]


@pytest.mark.parametrize(
    ("sql", "analyze", "refusal"), REFUSED + REFUSED_AS_SOME_DATABASE_READS_IT
)
def test_refused_statements(sql, analyze, refusal):
    with pytest.raises(RefusedStatement, match=re.escape(refusal)):
        check_explain(sql, analyze=analyze)


@pytest.mark.parametrize(("sql", "analyze"), ACCEPTED + ACCEPTED_AS_EVERY_DATABASE_READS_IT)
def test_accepted_statements(sql, analyze):
    check_explain(sql, analyze=analyze)


@pytest.mark.parametrize(("sql", "analyze", "refusal"), REFUSED)
def test_the_old_checks_refuse_the_old_table(sql, analyze, refusal):
    assert refusal in (legacy_refusal(sql, analyze) or "")  # the yardstick reads as it should


ALL_TEXTS = [row[0] for row in REFUSED + ACCEPTED + REFUSED_AS_SOME_DATABASE_READS_IT]
ALL_TEXTS += [row[0] for row in ACCEPTED_AS_EVERY_DATABASE_READS_IT]


@pytest.mark.parametrize("analyze", [False, True])
@pytest.mark.parametrize("sql", sorted(set(ALL_TEXTS) - set(COMMENT_AFTER_THE_LAST_SEMICOLON)))
def test_what_the_old_checks_refused_is_still_refused(sql, analyze):
    if legacy_refusal(sql, analyze):
        with pytest.raises(RefusedStatement):
            check_explain(sql, analyze=analyze)


# Pieces of SQL, with the quotes and escapes on which databases disagree. Comment markers are
# left out: sqlparse reads "#-" and "/--" as operators where every database reads a comment.
SQL_PIECES = st.sampled_from(
    [
        "SELECT", "1", "FROM", "t", "WHERE", "x", "=", "%s", ";", "'a'", "'", "\\", "\\'",
        '"', '"u"', "`", "`b`", "$$", "$a$", "\n", "\r", " ", "DELETE", "UPDATE", "INTO",
        "FOR UPDATE", "LOCK", "nextval(", "REPLACE(", "REPLACE", "(", ")", "EXPLAIN", "ANALYZE",
        "WITH", "AS", "t.update", "E'", "[", "]", "[a]", ",", "'it''s'",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(SQL_PIECES, max_size=12), st.sampled_from([" ", ""]), st.booleans())
def test_no_text_the_old_checks_refused_is_accepted(pieces, separator, analyze):
    sql = separator.join(pieces)
    if legacy_refusal(sql, analyze):
        with pytest.raises(RefusedStatement):
            check_explain(sql, analyze=analyze)


def test_a_text_of_one_megabyte_is_checked_in_linear_time():
    values = ", ".join(["%s"] * 250_000)
    sql = f'SELECT "blog_tag"."id" FROM "blog_tag" WHERE "blog_tag"."id" IN ({values})'
    start = time.perf_counter()
    check_explain(sql, analyze=True)
    with pytest.raises(RefusedStatement, match="2 statements"):
        check_explain(sql + "; DELETE FROM blog_tag", analyze=False)
    assert time.perf_counter() - start < 6.0  # about 0.6 s on a 2-core VM


@pytest.mark.django_db
def test_a_huge_in_list_is_explained_and_shown():
    # An id__in of 3,400 values is past sqlparse's 10,000-token limit: it used to raise
    # SQLParseError out of the safety check and out of the HTML, failing the whole cell.
    ids = list(Post.objects.values_list("pk", flat=True)[:5]) + list(range(10**6, 10**6 + 3_395))
    start = time.perf_counter()
    with kit.profile(explain="analyze") as profile:
        posts = list(Post.objects.filter(pk__in=ids))
    html = profile._repr_html_()
    assert time.perf_counter() - start < 20.0
    assert posts and not profile.explain_errors, profile.explain_errors
    assert [p.analyzed for p in profile.plans] == [True]
    assert html.count("%s") >= 3_400 and "\nWHERE" in html


@pytest.mark.django_db
def test_params_are_bound_by_the_driver_never_interpolated():
    payload = "x'); DELETE FROM blog_tag; --"
    sql, params = sql_of(Tag.objects.filter(name=payload))
    tags = Tag.objects.count()
    with spy_statements() as spy:
        plan = explain_sql(sql, params, analyze=True)
    assert isinstance(plan, Plan), plan
    explained = [(s, p) for s, p in spy.statements if s.endswith(sql)]
    assert explained and all(p == params for _, p in explained)
    assert all(payload not in s for s in spy.sql)
    assert Tag.objects.count() == tags


def write_and_read() -> None:
    """A block that inserts, updates, deletes and reads."""
    Tag.objects.create(name="kit explain tag", slug="kit-explain-tag")
    Post.objects.filter(pk__lte=3).update(view_count=F("view_count") + 7)
    Like.objects.filter(post_id=1).delete()
    list(Post.objects.filter(view_count__gte=7).order_by("-created_at")[:5])


def statement_parts(statement: str, records: list[QueryRecord]) -> tuple[str, str] | None:
    """(prefix, the profiled SQL) when a statement explains or reruns a profiled one."""
    for record in records:
        if statement.endswith(record.sql):
            return statement[: -len(record.sql)], record.sql
    return None


@pytest.mark.django_db
def test_only_a_select_ever_runs_under_analyze():
    with kit.profile() as profile:
        write_and_read()
    kinds = {sql_shape(q.sql).kind for q in profile.queries}
    assert {"INSERT", "UPDATE", "DELETE", "SELECT"} <= kinds
    with spy_statements() as spy:
        results = explain_records(profile.queries, "analyze")
    analyzed: list[str] = []
    for statement in spy.sql:
        parts = statement_parts(statement, profile.queries)
        if parts is None:  # the kit's own reads: sizes, indexes, savepoints, timeouts
            assert sql_shape(statement).kind not in ("INSERT", "UPDATE", "DELETE", "DDL")
            continue
        prefix, inner = parts
        if "ANALYZE" in prefix.upper().replace("ANALYZE FALSE", "") or not prefix:
            analyzed.append(sql_shape(inner).kind)
    assert analyzed and set(analyzed) == {"SELECT"}
    by_kind = {sql_shape(p.sql).kind: p for p in results.plans}
    assert set(by_kind) == {"INSERT", "UPDATE", "DELETE", "SELECT"}
    assert by_kind["SELECT"].analyzed and not by_kind["UPDATE"].analyzed
    assert "only a single SELECT runs under ANALYZE" in " ".join(by_kind["DELETE"].notes)


@pytest.mark.django_db
def test_inside_a_transaction_explain_uses_a_savepoint_that_is_rolled_back():
    sql, params = sql_of(Post.objects.filter(view_count__gte=1))
    with spy_statements() as spy:
        plan = explain_sql(sql, params, analyze=True)
    assert isinstance(plan, Plan), plan
    words = [s.split()[0].upper() for s in spy.sql]
    assert words[0] == "SAVEPOINT" and "ROLLBACK" in words
    assert spy.sql[words.index("ROLLBACK")].upper().startswith("ROLLBACK TO SAVEPOINT")
    explain_at = next(i for i, s in enumerate(spy.sql) if s.endswith(sql))
    assert 0 < explain_at < words.index("ROLLBACK")
    if connection.vendor == "postgresql":
        timeout = [s for s in spy.sql[:explain_at] if "statement_timeout" in s]
        assert timeout == ["SELECT set_config('statement_timeout', %s, true)"]
    if connection.vendor == "mysql" and connection.mysql_is_mariadb:
        assert spy.sql[explain_at].startswith("SET STATEMENT max_statement_time=10 FOR ANALYZE")
    assert connection.in_atomic_block and not connection.needs_rollback


def test_in_autocommit_explain_opens_a_transaction_and_rolls_it_back(
    django_db_setup, django_db_blocker, monkeypatch
):
    rollbacks: list[bool] = []
    with django_db_blocker.unblock():
        assert connection.get_autocommit() and not connection.in_atomic_block
        original = connection.rollback
        monkeypatch.setattr(connection, "rollback", lambda: rollbacks.append(True) or original())
        before = snapshot()
        with kit.profile() as profile:
            list(Post.objects.filter(view_count__gte=1)[:3])
        records = profile.queries + [fake_write(sql) for sql in write_statements()]
        results = explain_records(records, "analyze")
        assert len(results.plans) == 4 and not results.errors, results.errors
        assert snapshot() == before
        assert len(rollbacks) == 4  # one rolled-back transaction per plan
        assert connection.get_autocommit() and not connection.in_atomic_block
        if connection.vendor == "postgresql":
            assert connection.connection.info.transaction_status == 0  # idle: nothing open


def write_statements() -> list[str]:
    """An INSERT, an UPDATE and a DELETE as Django writes them (never run by the test)."""
    q = connection.ops.quote_name
    return [
        f"INSERT INTO {q('blog_tag')} ({q('name')}, {q('slug')}) VALUES (%s, %s)",
        f"UPDATE {q('blog_post')} SET {q('view_count')} = %s "
        f"WHERE {q('blog_post')}.{q('id')} > %s",
        f"DELETE FROM {q('blog_like')} WHERE {q('blog_like')}.{q('post_id')} > %s",
    ]


def fake_write(sql: str) -> QueryRecord:
    params = ("kit tag", "kit-tag") if sql.startswith("INSERT") else (0,) * sql.count("%s")
    return QueryRecord(0, "default", connection.vendor, sql, params, False, 0.0, 1.0, "main")


@pytest.mark.django_db
def test_statement_timeout_stops_a_slow_select():
    q = connection.ops.quote_name
    comments = ", ".join(f"{q('blog_comment')} c{i}" for i in range(4))
    start = time.perf_counter()
    result = explain_sql(
        f"SELECT COUNT(*) FROM {comments}", analyze=True, options=ExplainOptions(timeout_ms=200)
    )
    assert time.perf_counter() - start < 10
    assert isinstance(result, ExplainError)
    assert result.message.startswith("stopped by the kit's 200 ms statement timeout")
    assert "\n" not in result.message
    assert Post.objects.exists() and not connection.needs_rollback  # the connection works on


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql", ["SELECT 1; DELETE FROM blog_tag", "EXPLAIN SELECT 1", "ANALYZE SELECT 1"]
)
def test_refused_text_sends_nothing_to_the_database(sql):
    tags = Tag.objects.count()
    with spy_statements() as spy:
        result = explain_sql(sql, analyze=True)
    assert isinstance(result, ExplainError) and "refused" in result.message
    assert spy.statements == []
    assert Tag.objects.count() == tags


@pytest.mark.django_db
def test_a_transaction_marked_for_rollback_gets_an_error_value():
    with transaction.atomic():
        transaction.set_rollback(True)
        with spy_statements() as spy:
            result = explain_sql(*sql_of(Post.objects.all()))
        assert spy.statements == []
    assert isinstance(result, ExplainError)
    assert "marked for rollback" in result.message


@pytest.mark.django_db
def test_explain_never_appears_in_an_enclosing_profile():
    with kit.profile() as outer:
        with kit.profile(explain="analyze") as inner:
            list(Post.objects.filter(view_count__gte=1).order_by("-created_at")[:3])
        with kit.profile(explain="whatif") as whatif:
            list(Post.objects.filter(view_count__gte=1)[:3])
    assert inner.plans and whatif.plans
    assert [q.sql for q in outer.queries] == [q.sql for q in inner.queries + whatif.queries]
    assert outer.query_count == 2


@pytest.mark.django_db
def test_a_failed_transaction_gets_an_error_value_and_is_left_to_the_user(ip_shell, no_png):
    result = ip_shell.run_cell(
        "%%orm_profile --explain -o failed\n"
        "from django.db import DatabaseError, connection\n"
        "from sample_app.blog.models import Post\n"
        "Post.objects.filter(pk=1).first()\n"
        "try:\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT * FROM kit_no_such_table')\n"
        "except DatabaseError:\n"
        "    pass\n"
    )
    result.raise_error()  # a value, not a crash
    profile = ip_shell.user_ns["failed"]
    errors = {sql_shape(e.sql).tables: e.message for e in profile.explain_errors}
    assert ("kit_no_such_table",) in errors
    assert all("\n" not in message for message in errors.values())
    if connection.vendor == "postgresql":
        # Only PostgreSQL aborts the transaction: every shape gets the error, and the
        # kit leaves the rollback to the user.
        assert "failed transaction" in errors[("blog_post",)]
        assert profile.plans == []
        assert pg.in_failed_transaction(connection.connection)
    else:
        assert [sql_shape(p.sql).tables for p in profile.plans] == [("blog_post",)]


@pytest.mark.django_db
def test_after_explain_analyze_every_table_is_as_the_cell_left_it(ip_shell, no_png):
    before_cell = snapshot()
    result = ip_shell.run_cell(
        "%%orm_profile --explain analyze -o wrote\n"
        "from django.db.models import F\n"
        "from sample_app.blog.models import Like, Post, Tag\n"
        "from tests.spies import snapshot\n"
        "Tag.objects.create(name='kit explain tag', slug='kit-explain-tag')\n"
        "Post.objects.filter(pk__lte=3).update(view_count=F('view_count') + 7)\n"
        "Like.objects.filter(post_id=1).delete()\n"
        "Tag.objects.bulk_create([Tag(name=f'kit {i}', slug=f'kit-{i}') for i in range(3)])\n"
        "list(Post.objects.filter(view_count__gte=7).order_by('-created_at')[:5])\n"
        "left_by_the_cell = snapshot()\n"
    )
    result.raise_error()
    left_by_the_cell = ip_shell.user_ns["left_by_the_cell"]
    assert left_by_the_cell != before_cell  # the cell did write
    assert snapshot() == left_by_the_cell  # and EXPLAIN ANALYZE changed nothing after it
    profile = ip_shell.user_ns["wrote"]
    kinds = {sql_shape(p.sql).kind for p in profile.plans}
    assert {"INSERT", "UPDATE", "DELETE", "SELECT"} <= kinds, profile.explain_errors
