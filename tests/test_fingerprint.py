"""Fingerprint, kind and tables of SQL as Django emits it on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kit.analysis.fingerprint import SqlShape, fingerprint, sql_shape

KINDS = {"SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"}
KINDS |= {"COMMIT", "EXPLAIN", "DDL", "OTHER"}


def case(case_id: str, sql: str, expected: str, kind: str, *tables: str) -> object:
    """One row of the table: SQL in, the whole SqlShape out."""
    return pytest.param(sql, SqlShape(expected, kind, tables), id=case_id)


IN_500 = ", ".join(["%s"] * 500)
POST_IN = "SELECT blog_post.id, blog_post.title FROM blog_post WHERE blog_post.id IN (...)"

CASES = [
    case(
        "sqlite_select_related_3_joins",
        'SELECT "blog_comment"."id", "blog_post"."title", "blog_author"."name", T4."name" '
        'FROM "blog_comment" INNER JOIN "blog_post" ON ("blog_comment"."post_id" = '
        '"blog_post"."id") INNER JOIN "blog_author" ON ("blog_post"."author_id" = '
        '"blog_author"."id") INNER JOIN "blog_author" T4 ON ("blog_comment"."author_id" = '
        'T4."id") WHERE "blog_post"."published"',
        "SELECT blog_comment.id, blog_post.title, blog_author.name, t4.name FROM blog_comment "
        "INNER JOIN blog_post ON (blog_comment.post_id = blog_post.id) INNER JOIN blog_author "
        "ON (blog_post.author_id = blog_author.id) INNER JOIN blog_author t4 ON "
        "(blog_comment.author_id = t4.id) WHERE blog_post.published",
        "SELECT",
        *("blog_author", "blog_comment", "blog_post"),
    ),
    case(
        "mysql_select_related_3_joins",
        "SELECT `blog_comment`.`id`, `blog_post`.`title`, `blog_author`.`name`, T4.`name` "
        "FROM `blog_comment` INNER JOIN `blog_post` ON (`blog_comment`.`post_id` = "
        "`blog_post`.`id`) INNER JOIN `blog_author` ON (`blog_post`.`author_id` = "
        "`blog_author`.`id`) INNER JOIN `blog_author` T4 ON (`blog_comment`.`author_id` = "
        "T4.`id`) WHERE `blog_post`.`published` = %s",
        "SELECT blog_comment.id, blog_post.title, blog_author.name, t4.name FROM blog_comment "
        "INNER JOIN blog_post ON (blog_comment.post_id = blog_post.id) INNER JOIN blog_author "
        "ON (blog_post.author_id = blog_author.id) INNER JOIN blog_author t4 ON "
        "(blog_comment.author_id = t4.id) WHERE blog_post.published = ?",
        "SELECT",
        *("blog_author", "blog_comment", "blog_post"),
    ),
    case(
        "pg_left_outer_join_isnull",
        'SELECT "blog_post"."id" FROM "blog_post" LEFT OUTER JOIN "blog_comment" ON '
        '("blog_post"."id" = "blog_comment"."post_id") WHERE "blog_comment"."id" IS NULL',
        "SELECT blog_post.id FROM blog_post LEFT OUTER JOIN blog_comment ON "
        "(blog_post.id = blog_comment.post_id) WHERE blog_comment.id IS NULL",
        "SELECT",
        *("blog_comment", "blog_post"),
    ),
    case(
        "pg_in_1",
        'SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post" '
        'WHERE "blog_post"."id" IN (%s)',
        POST_IN,
        "SELECT",
        "blog_post",
    ),
    case(
        "sqlite_in_3_inlined_numbers",
        'SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post" '
        'WHERE "blog_post"."id" IN (1, 2, 3)',
        POST_IN,
        "SELECT",
        "blog_post",
    ),
    case(
        "mysql_in_500",
        "SELECT `blog_post`.`id`, `blog_post`.`title` FROM `blog_post` "
        f"WHERE `blog_post`.`id` IN ({IN_500})",
        POST_IN,
        "SELECT",
        "blog_post",
    ),
    case(
        "pg_not_in_strings",
        'SELECT "blog_tag"."id" FROM "blog_tag" '
        "WHERE NOT (\"blog_tag\".\"name\" IN ('django', 'o''reilly'))",
        "SELECT blog_tag.id FROM blog_tag WHERE NOT (blog_tag.name IN (...))",
        "SELECT",
        "blog_tag",
    ),
    case(
        "pg_prefetch_m2m",
        'SELECT ("blog_post_tags"."post_id") AS "_prefetch_related_val_post_id", '
        '"blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON '
        '("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" '
        "IN (%s, %s, %s)",
        "SELECT (blog_post_tags.post_id) AS _prefetch_related_val_post_id, blog_tag.id, "
        "blog_tag.name FROM blog_tag INNER JOIN blog_post_tags ON "
        "(blog_tag.id = blog_post_tags.tag_id) WHERE blog_post_tags.post_id IN (...)",
        "SELECT",
        *("blog_post_tags", "blog_tag"),
    ),
    case(
        "pg_any_array_param",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = ANY(%s)',
        "SELECT blog_post.id FROM blog_post WHERE blog_post.id = ANY(?)",
        "SELECT",
        "blog_post",
    ),
    case(
        "pg_array_constructor",
        'SELECT "blog_post"."id" FROM "blog_post" '
        'WHERE "blog_post"."tags" @> ARRAY[%s, %s]::varchar(50)[]',
        "SELECT blog_post.id FROM blog_post WHERE blog_post.tags @> ARRAY[...]::varchar(?)[]",
        "SELECT",
        "blog_post",
    ),
    case(
        "pg_row_value_in",
        'SELECT "blog_vote"."id" FROM "blog_vote" WHERE ("blog_vote"."post_id", '
        '"blog_vote"."user_id") IN ((%s, %s), (%s, %s))',
        "SELECT blog_vote.id FROM blog_vote WHERE (blog_vote.post_id, blog_vote.user_id) IN (...)",
        "SELECT",
        "blog_vote",
    ),
    case(
        "in_subquery_is_kept",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."author_id" IN '
        '(SELECT U0."id" FROM "blog_author" U0 WHERE U0."name" LIKE %s)',
        "SELECT blog_post.id FROM blog_post WHERE blog_post.author_id IN "
        "(SELECT u0.id FROM blog_author u0 WHERE u0.name LIKE ?)",
        "SELECT",
        *("blog_author", "blog_post"),
    ),
    case(
        "sqlite_bulk_insert_3_rows",
        'INSERT INTO "blog_tag" ("name", "slug") VALUES (%s, %s), (%s, %s), (%s, %s) '
        'RETURNING "blog_tag"."id"',
        "INSERT INTO blog_tag (name, slug) VALUES (...) RETURNING blog_tag.id",
        "INSERT",
        "blog_tag",
    ),
    case(
        "mysql_bulk_insert_inlined_values",
        "INSERT INTO `blog_tag` (`name`, `slug`) VALUES ('a', 'a'), ('b', NULL), "
        "('c''s', DEFAULT)",
        "INSERT INTO blog_tag (name, slug) VALUES (...)",
        "INSERT",
        "blog_tag",
    ),
    case(
        "pg_bulk_insert_unnest",
        'INSERT INTO "blog_tag" ("name", "slug") SELECT * FROM UNNEST((%s)::varchar[], '
        '(%s)::varchar[]) RETURNING "blog_tag"."id"',
        "INSERT INTO blog_tag (name, slug) SELECT * FROM UNNEST((?)::varchar[], "
        "(?)::varchar[]) RETURNING blog_tag.id",
        "INSERT",
        "blog_tag",
    ),
    case(
        "pg_insert_returning",
        'INSERT INTO "blog_post" ("title", "author_id", "views") VALUES (%s, %s, %s) '
        'RETURNING "blog_post"."id"',
        "INSERT INTO blog_post (title, author_id, views) VALUES (...) RETURNING blog_post.id",
        "INSERT",
        "blog_post",
    ),
    case(
        "pg_insert_on_conflict_update",
        'INSERT INTO "blog_tag" ("name") VALUES (%s), (%s) ON CONFLICT("name") DO UPDATE '
        'SET "name" = EXCLUDED."name" RETURNING "blog_tag"."id"',
        "INSERT INTO blog_tag (name) VALUES (...) ON CONFLICT (name) DO UPDATE "
        "SET name = excluded.name RETURNING blog_tag.id",
        "INSERT",
        "blog_tag",
    ),
    case(
        "mysql_insert_on_duplicate_key_update",
        "INSERT INTO `blog_tag` (`name`) VALUES (%s) ON DUPLICATE KEY UPDATE "
        "`name` = VALUES(`name`)",
        "INSERT INTO blog_tag (name) VALUES (...) ON DUPLICATE KEY UPDATE name = VALUES (name)",
        "INSERT",
        "blog_tag",
    ),
    case(
        "pg_update_f_expression",
        'UPDATE "blog_post" SET "views" = ("blog_post"."views" + %s) '
        'WHERE "blog_post"."id" IN (%s, %s)',
        "UPDATE blog_post SET views = (blog_post.views + ?) WHERE blog_post.id IN (...)",
        "UPDATE",
        "blog_post",
    ),
    case(
        "sqlite_update_inlined_week_day",
        'UPDATE "blog_post" SET "views" = ("blog_post"."views" * 2) WHERE '
        '("blog_post"."created" IS NOT NULL AND django_datetime_extract(\'week_day\', '
        "\"blog_post\".\"created\", 'UTC', 'UTC') = 2)",
        "UPDATE blog_post SET views = (blog_post.views * ?) WHERE (blog_post.created IS NOT "
        "NULL AND django_datetime_extract(?, blog_post.created, ?, ?) = ?)",
        "UPDATE",
        "blog_post",
    ),
    case(
        "mysql_delete",
        "DELETE FROM `blog_comment` WHERE `blog_comment`.`post_id` IN (%s, %s, %s)",
        "DELETE FROM blog_comment WHERE blog_comment.post_id IN (...)",
        "DELETE",
        "blog_comment",
    ),
    case(
        "pg_delete_using",
        'DELETE FROM "blog_comment" USING "blog_post" WHERE "blog_comment"."post_id" = '
        '"blog_post"."id" AND "blog_post"."views" < %s',
        "DELETE FROM blog_comment USING blog_post WHERE blog_comment.post_id = blog_post.id "
        "AND blog_post.views < ?",
        "DELETE",
        *("blog_comment", "blog_post"),
    ),
    case("pg_savepoint", 'SAVEPOINT "s140234567890_x5"', "SAVEPOINT ?", "SAVEPOINT"),
    case(
        "mysql_release_savepoint",
        "RELEASE SAVEPOINT `s140234567890_x12`",
        "RELEASE SAVEPOINT ?",
        "RELEASE",
    ),
    case(
        "sqlite_rollback_to_savepoint",
        'ROLLBACK TO SAVEPOINT "s140234567890_x3"',
        "ROLLBACK TO SAVEPOINT ?",
        "ROLLBACK",
    ),
    case("sqlite_begin", "BEGIN", "BEGIN", "BEGIN"),
    case("pg_commit", "COMMIT", "COMMIT", "COMMIT"),
    case(
        "pg_declare_server_side_cursor",
        'DECLARE "_django_curs_140234567890_sync_3" NO SCROLL CURSOR WITH HOLD FOR '
        'SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post"',
        "DECLARE ? NO SCROLL CURSOR WITH HOLD FOR SELECT blog_post.id, blog_post.title "
        "FROM blog_post",
        "SELECT",
        "blog_post",
    ),
    case(
        "pg_fetch_server_side_cursor",
        'FETCH FORWARD 2000 FROM "_django_curs_140234567890_sync_3"',
        "FETCH FORWARD ? FROM ?",
        "OTHER",
    ),
    case("pg_close_cursor", 'CLOSE "_django_curs_140234567890_sync_3"', "CLOSE ?", "OTHER"),
    case(
        "sqlite_explain_query_plan",
        'EXPLAIN QUERY PLAN SELECT "blog_post"."id" FROM "blog_post" '
        'WHERE "blog_post"."author_id" = %s',
        "EXPLAIN QUERY PLAN SELECT blog_post.id FROM blog_post WHERE blog_post.author_id = ?",
        "EXPLAIN",
        "blog_post",
    ),
    case(
        "pg_explain_analyze_json",
        'EXPLAIN (ANALYZE true, FORMAT JSON) SELECT "blog_post"."id" FROM "blog_post" INNER '
        'JOIN "blog_author" ON ("blog_post"."author_id" = "blog_author"."id") WHERE '
        '"blog_author"."name" = %s',
        "EXPLAIN (ANALYZE TRUE, FORMAT json) SELECT blog_post.id FROM blog_post INNER JOIN "
        "blog_author ON (blog_post.author_id = blog_author.id) WHERE blog_author.name = ?",
        "EXPLAIN",
        *("blog_author", "blog_post"),
    ),
    case(
        "mysql_explain_format_tree",
        "EXPLAIN FORMAT=TREE SELECT `blog_post`.`id` FROM `blog_post` "
        "WHERE `blog_post`.`author_id` = %s",
        "EXPLAIN FORMAT = tree SELECT blog_post.id FROM blog_post WHERE blog_post.author_id = ?",
        "EXPLAIN",
        "blog_post",
    ),
    case(
        "pg_with_cte_select",
        'WITH "recent" AS (SELECT "blog_post"."id" FROM "blog_post" WHERE '
        '"blog_post"."created" > %s) SELECT COUNT(*) FROM "recent" INNER JOIN "blog_comment" '
        'ON ("blog_comment"."post_id" = "recent"."id")',
        "WITH recent AS (SELECT blog_post.id FROM blog_post WHERE blog_post.created > ?) "
        "SELECT COUNT(*) FROM recent INNER JOIN blog_comment ON "
        "(blog_comment.post_id = recent.id)",
        "SELECT",
        *("blog_comment", "blog_post"),
    ),
    case(
        "pg_with_cte_update",
        "WITH stale AS (SELECT id FROM blog_post WHERE views < 10) UPDATE blog_post SET "
        "published = FALSE WHERE id IN (SELECT id FROM stale)",
        "WITH stale AS (SELECT id FROM blog_post WHERE views < ?) UPDATE blog_post SET "
        "published = FALSE WHERE id IN (SELECT id FROM stale)",
        "UPDATE",
        "blog_post",
    ),
    case(
        "pg_with_recursive",
        "WITH RECURSIVE tree(id, parent_id) AS (SELECT id, parent_id FROM blog_category "
        "WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id FROM blog_category c "
        "JOIN tree t ON c.parent_id = t.id) SELECT * FROM tree",
        "WITH RECURSIVE tree(id, parent_id) AS (SELECT id, parent_id FROM blog_category "
        "WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id FROM blog_category c "
        "JOIN tree t ON c.parent_id = t.id) SELECT * FROM tree",
        "SELECT",
        "blog_category",
    ),
    case(
        "pg_union_parenthesised",
        '(SELECT "blog_post"."id" AS "col1" FROM "blog_post" WHERE "blog_post"."views" = %s) '
        'UNION (SELECT "blog_page"."id" AS "col1" FROM "blog_page" '
        'WHERE "blog_page"."views" = %s)',
        "(SELECT blog_post.id AS col1 FROM blog_post WHERE blog_post.views = ?) UNION "
        "(SELECT blog_page.id AS col1 FROM blog_page WHERE blog_page.views = ?)",
        "SELECT",
        *("blog_page", "blog_post"),
    ),
    case(
        "sqlite_union_all_ordered",
        'SELECT "blog_post"."id" AS "col1" FROM "blog_post" UNION ALL SELECT '
        '"blog_page"."id" AS "col1" FROM "blog_page" ORDER BY 1 ASC LIMIT 21',
        "SELECT blog_post.id AS col1 FROM blog_post UNION ALL SELECT blog_page.id AS col1 "
        "FROM blog_page ORDER BY ? ASC LIMIT ?",
        "SELECT",
        *("blog_page", "blog_post"),
    ),
    case(
        "window_row_number",
        'SELECT "blog_post"."id", ROW_NUMBER() OVER (PARTITION BY "blog_post"."author_id" '
        'ORDER BY "blog_post"."views" DESC) AS "rn" FROM "blog_post"',
        "SELECT blog_post.id, ROW_NUMBER() OVER (PARTITION BY blog_post.author_id "
        "ORDER BY blog_post.views DESC) AS rn FROM blog_post",
        "SELECT",
        "blog_post",
    ),
    case(
        "subquery_in_select",
        'SELECT "blog_post"."id", (SELECT U0."body" AS "body" FROM "blog_comment" U0 WHERE '
        'U0."post_id" = ("blog_post"."id") ORDER BY U0."id" DESC LIMIT 1) AS "last_comment" '
        'FROM "blog_post"',
        "SELECT blog_post.id, (SELECT u0.body AS body FROM blog_comment u0 WHERE "
        "u0.post_id = (blog_post.id) ORDER BY u0.id DESC LIMIT ?) AS last_comment "
        "FROM blog_post",
        "SELECT",
        *("blog_comment", "blog_post"),
    ),
    case(
        "count_star_dunder_count",
        'SELECT COUNT(*) AS "__count" FROM "blog_post" WHERE "blog_post"."published"',
        "SELECT COUNT(*) AS __count FROM blog_post WHERE blog_post.published",
        "SELECT",
        "blog_post",
    ),
    case(
        "count_distinct_over_derived_table",
        'SELECT COUNT(*) FROM (SELECT DISTINCT "blog_post"."id" AS "col1" FROM "blog_post" '
        'INNER JOIN "blog_post_tags" ON ("blog_post"."id" = "blog_post_tags"."post_id")) '
        "subquery",
        "SELECT COUNT(*) FROM (SELECT DISTINCT blog_post.id AS col1 FROM blog_post INNER JOIN "
        "blog_post_tags ON (blog_post.id = blog_post_tags.post_id)) subquery",
        "SELECT",
        *("blog_post", "blog_post_tags"),
    ),
    case(
        "exists_limit_1",
        'SELECT 1 AS "a" FROM "blog_post" WHERE "blog_post"."title" = %s LIMIT 1',
        "SELECT ? AS a FROM blog_post WHERE blog_post.title = ? LIMIT ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "exists_subquery_filter",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE EXISTS(SELECT 1 AS "a" FROM '
        '"blog_comment" U0 WHERE U0."post_id" = ("blog_post"."id") LIMIT 1)',
        "SELECT blog_post.id FROM blog_post WHERE EXISTS(SELECT ? AS a FROM blog_comment u0 "
        "WHERE u0.post_id = (blog_post.id) LIMIT ?)",
        "SELECT",
        *("blog_comment", "blog_post"),
    ),
    case(
        "sqlite_django_format_dtdelta",
        'SELECT "blog_post"."id", (django_format_dtdelta(\'+\', "blog_post"."created", '
        '%s)) AS "due" FROM "blog_post" WHERE "blog_post"."created" BETWEEN %s AND %s',
        "SELECT blog_post.id, (django_format_dtdelta(?, blog_post.created, ?)) AS due "
        "FROM blog_post WHERE blog_post.created BETWEEN ? AND ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "pg_extract_from_is_not_a_table",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE EXTRACT(YEAR FROM "blog_post"."created" '
        'AT TIME ZONE %s) = %s AND UPPER("blog_post"."title"::text) LIKE UPPER(%s)',
        "SELECT blog_post.id FROM blog_post WHERE EXTRACT(year FROM blog_post.created AT TIME "
        "ZONE ?) = ? AND UPPER(blog_post.title::text) LIKE UPPER(?)",
        "SELECT",
        "blog_post",
    ),
    case(
        "mysql_group_by_order_by_null_dropped",
        "SELECT `blog_post`.`author_id` AS `author`, COUNT(`blog_post`.`id`) AS `n` "
        "FROM `blog_post` GROUP BY 1 ORDER BY NULL",
        "SELECT blog_post.author_id AS author, COUNT(blog_post.id) AS n FROM blog_post GROUP BY ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "notebook_repr_limit_21",
        'SELECT "blog_post"."id" FROM "blog_post" ORDER BY "blog_post"."id" DESC LIMIT 21',
        "SELECT blog_post.id FROM blog_post ORDER BY blog_post.id DESC LIMIT ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "limit_offset",
        'SELECT "blog_post"."id" FROM "blog_post" LIMIT 20 OFFSET 40',
        "SELECT blog_post.id FROM blog_post LIMIT ? OFFSET ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "sqlite_offset_only_limit_minus_1",
        'SELECT "blog_post"."id" FROM "blog_post" LIMIT -1 OFFSET 5',
        "SELECT blog_post.id FROM blog_post OFFSET ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "mysql_offset_only_limit_2_64",
        "SELECT `blog_post`.`id` FROM `blog_post` LIMIT 18446744073709551615 OFFSET 5",
        "SELECT blog_post.id FROM blog_post OFFSET ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "comments_removed",
        '/* post_list view */ SELECT "blog_post"."id" -- the id\n FROM "blog_post" /* end */',
        "SELECT blog_post.id FROM blog_post",
        "SELECT",
        "blog_post",
    ),
    case(
        "strings_with_quotes_in_and_dashes",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE ("blog_post"."title" = '
        "'it''s IN (1, 2)' AND \"blog_post\".\"body\" LIKE '%-- not a comment%')",
        "SELECT blog_post.id FROM blog_post WHERE (blog_post.title = ? AND blog_post.body LIKE ?)",
        "SELECT",
        "blog_post",
    ),
    case(
        "sqlite_like_escape_backslash",
        'SELECT "blog_tag"."id" FROM "blog_tag" WHERE "blog_tag"."name" LIKE %s ESCAPE \'\\\'',
        "SELECT blog_tag.id FROM blog_tag WHERE blog_tag.name LIKE ? ESCAPE ?",
        "SELECT",
        "blog_tag",
    ),
    case(
        "non_ascii_name_and_literal",
        'SELECT "blog_post"."Tïtle" FROM "blog_post" WHERE "blog_post"."title" = \'héllo ✓\'',
        "SELECT blog_post.tïtle FROM blog_post WHERE blog_post.title = ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "signed_and_float_literals",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."score" > -1.5e3 '
        'AND "blog_post"."views" - 1 > 0',
        "SELECT blog_post.id FROM blog_post WHERE blog_post.score > ? AND blog_post.views - ? > ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "every_placeholder_style",
        "SELECT id FROM blog_post WHERE a = $1 AND b = :name AND c = %(title)s AND d = ?",
        "SELECT id FROM blog_post WHERE a = ? AND b = ? AND c = ? AND d = ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "keyword_named_columns_stay_quoted_when_bare",
        'SELECT "blog_item"."order", "blog_item"."date" FROM "blog_item" ORDER BY "order" ASC',
        'SELECT blog_item.order, blog_item.date FROM blog_item ORDER BY "order" ASC',
        "SELECT",
        "blog_item",
    ),
    case(
        "select_for_update_of",
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = %s '
        'FOR UPDATE OF "blog_post"',
        "SELECT blog_post.id FROM blog_post WHERE blog_post.id = ? FOR UPDATE OF blog_post",
        "SELECT",
        "blog_post",
    ),
    case(
        "sqlite_bracket_quoting",
        "SELECT [blog_post].[id] FROM [blog_post] WHERE [blog_post].[views] > 10",
        "SELECT blog_post.id FROM blog_post WHERE blog_post.views > ?",
        "SELECT",
        "blog_post",
    ),
    case(
        "sqlite_create_table",
        'CREATE TABLE "blog_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
        '"name" varchar(50) NOT NULL UNIQUE)',
        "CREATE TABLE blog_tag (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
        "name varchar(?) NOT NULL UNIQUE)",
        "DDL",
        "blog_tag",
    ),
    case(
        "pg_create_index",
        'CREATE INDEX "blog_post_author_id_5f3b4b8a" ON "blog_post" ("author_id")',
        "CREATE INDEX blog_post_author_id_5f3b4b8a ON blog_post(author_id)",
        "DDL",
        "blog_post",
    ),
    case(
        "pg_alter_table_add_fk",
        'ALTER TABLE "blog_post" ADD CONSTRAINT "blog_post_author_id_fk" FOREIGN KEY '
        '("author_id") REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED',
        "ALTER TABLE blog_post ADD CONSTRAINT blog_post_author_id_fk FOREIGN KEY (author_id) "
        "REFERENCES blog_author (id) DEFERRABLE INITIALLY DEFERRED",
        "DDL",
        "blog_post",
    ),
    case(
        "sqlite_pragma",
        'PRAGMA foreign_key_check("blog_post")',
        "PRAGMA foreign_key_check(blog_post)",
        "OTHER",
    ),
    case(
        "mysql_set_isolation_level",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "OTHER",
    ),
    case(
        "pg_dollar_quoted_empty_tag_ends_at_its_closer",
        'SELECT $$it\'s$$ AS "a", "t"."b" FROM "t" WHERE "t"."c" = $q$x$q$',
        "SELECT ? AS a, t.b FROM t WHERE t.c = ?",
        "SELECT",
        "t",
    ),
    case("empty", "", "", "OTHER"),
    case("unbalanced_garbage", "SELECT (( 'unterminated", "SELECT ((?", "SELECT"),
]


@pytest.mark.parametrize(("sql", "expected"), CASES)
def test_sql_shape(sql: str, expected: SqlShape) -> None:
    assert sql_shape(sql) == expected


def test_fingerprint_is_the_shape_fingerprint() -> None:
    sql = 'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = %s'
    assert fingerprint(sql) == sql_shape(sql).fingerprint
    assert fingerprint(sql) == "SELECT blog_post.id FROM blog_post WHERE blog_post.id = ?"


# The same ORM call compiled by Django for SQLite (as sqlite3 runs it, with ?), PostgreSQL and
# MySQL: one fingerprint each.
SAME_QUERY_THREE_DIALECTS = {
    "select_related": (
        'SELECT "blog_comment"."id", "blog_post"."title" FROM "blog_comment" INNER JOIN '
        '"blog_post" ON ("blog_comment"."post_id" = "blog_post"."id") '
        'WHERE "blog_post"."title" = ?',
        'SELECT "blog_comment"."id", "blog_post"."title" FROM "blog_comment" INNER JOIN '
        '"blog_post" ON ("blog_comment"."post_id" = "blog_post"."id") '
        'WHERE "blog_post"."title" = %s',
        "SELECT `blog_comment`.`id`, `blog_post`.`title` FROM `blog_comment` INNER JOIN "
        "`blog_post` ON (`blog_comment`.`post_id` = `blog_post`.`id`) "
        "WHERE `blog_post`.`title` = %s",
    ),
    "in_list": (
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN (?, ?, ?)',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN (%s, %s)',
        "SELECT `blog_post`.`id` FROM `blog_post` WHERE `blog_post`.`id` IN (%s)",
    ),
    "values_annotate_count": (
        'SELECT "blog_post"."author_id" AS "author", COUNT("blog_post"."id") AS "n" '
        'FROM "blog_post" GROUP BY 1',
        'SELECT "blog_post"."author_id" AS "author", COUNT("blog_post"."id") AS "n" '
        'FROM "blog_post" GROUP BY 1',
        "SELECT `blog_post`.`author_id` AS `author`, COUNT(`blog_post`.`id`) AS `n` "
        "FROM `blog_post` GROUP BY 1 ORDER BY NULL",
    ),
    "exists_subquery": (
        'SELECT "blog_post"."id" FROM "blog_post" WHERE EXISTS(SELECT ? AS "a" FROM '
        '"blog_comment" U0 WHERE U0."post_id" = ("blog_post"."id") LIMIT 1)',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE EXISTS(SELECT %s AS "a" FROM '
        '"blog_comment" U0 WHERE U0."post_id" = ("blog_post"."id") LIMIT 1)',
        "SELECT `blog_post`.`id` FROM `blog_post` WHERE EXISTS(SELECT %s AS `a` FROM "
        "`blog_comment` U0 WHERE U0.`post_id` = (`blog_post`.`id`) LIMIT 1)",
    ),
    "offset_only_slice": (
        'SELECT "blog_post"."id" FROM "blog_post" LIMIT -1 OFFSET 5',
        'SELECT "blog_post"."id" FROM "blog_post" OFFSET 5',
        "SELECT `blog_post`.`id` FROM `blog_post` LIMIT 18446744073709551615 OFFSET 5",
    ),
    "update_f_expression": (
        'UPDATE "blog_post" SET "views" = ("blog_post"."views" + ?) '
        'WHERE "blog_post"."id" IN (?, ?)',
        'UPDATE "blog_post" SET "views" = ("blog_post"."views" + %s) '
        'WHERE "blog_post"."id" IN (%s, %s)',
        "UPDATE `blog_post` SET `views` = (`blog_post`.`views` + %s) "
        "WHERE `blog_post`.`id` IN (%s, %s)",
    ),
    "savepoint": (
        'SAVEPOINT "s139912345_x1"',
        'SAVEPOINT "s140234567_x42"',
        "SAVEPOINT `s140000001_x7`",
    ),
}


@pytest.mark.parametrize("name", sorted(SAME_QUERY_THREE_DIALECTS))
def test_same_query_in_three_dialects_has_one_fingerprint(name: str) -> None:
    sqlite, postgresql, mysql = SAME_QUERY_THREE_DIALECTS[name]
    assert fingerprint(sqlite) == fingerprint(postgresql) == fingerprint(mysql)


@pytest.mark.parametrize("length", [2, 3, 10, 999, 5000])
def test_in_lists_of_any_length_share_a_fingerprint(length: int) -> None:
    def in_list(n: int) -> str:
        params = ", ".join(["%s"] * n)
        return f'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN ({params})'

    assert fingerprint(in_list(length)) == fingerprint(in_list(1))


@pytest.mark.parametrize("rows", [2, 3, 100])
def test_bulk_inserts_of_any_size_share_a_fingerprint(rows: int) -> None:
    def insert(n: int) -> str:
        values = ", ".join(["(%s, %s)"] * n)
        return f'INSERT INTO "blog_tag" ("name", "slug") VALUES {values}'

    assert fingerprint(insert(rows)) == fingerprint(insert(1))


DIFFERENT_SHAPES = [
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."title" = %s',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."slug" = %s',
        id="different_where_column",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."author_id" = %s',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."author_id" IS NULL',
        id="equals_vs_is_null",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN (%s, %s)',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN '
        '(SELECT U0."post_id" FROM "blog_comment" U0)',
        id="in_list_vs_in_subquery",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" ORDER BY "blog_post"."id" ASC',
        'SELECT "blog_post"."id" FROM "blog_post" ORDER BY "blog_post"."id" DESC',
        id="order_direction",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post"',
        'SELECT "blog_post"."id" FROM "blog_post" LIMIT 21',
        id="limit_vs_none",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."published" = true',
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."published" = %s',
        id="boolean_keyword_is_not_a_value",
    ),
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post"',
        'SELECT "blog_page"."id" FROM "blog_page"',
        id="different_table",
    ),
]


@pytest.mark.parametrize(("first", "second"), DIFFERENT_SHAPES)
def test_different_shapes_have_different_fingerprints(first: str, second: str) -> None:
    assert fingerprint(first) != fingerprint(second)


def test_equal_strings_hit_the_cache() -> None:
    first = 'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = %s -- cache'
    second = "".join(list(first))  # equal but a new object, as Django builds per query
    assert first is not second
    shape = sql_shape(first)
    hits = sql_shape.cache_info().hits
    assert sql_shape(second) is shape
    assert sql_shape.cache_info().hits == hits + 1


@pytest.mark.parametrize(
    "sql",
    [
        "(" * 50_000,
        ")" * 50_000 + "SELECT",
        "VALUES (" * 5_000,
        "IN (" * 5_000 + "1",
        " " * 200_000 + "x" + " " * 200_000,
        "/* never closed " + "x" * 10_000,
        "$$ never closed",
        '"' * 10_001,
        "WITH a AS (" * 2_000,
        "\x00\ud800\U0010ffff",
    ],
    ids=lambda sql: repr(sql[:12]),
)
def test_pathological_input_does_not_raise(sql: str) -> None:
    shape = sql_shape(sql)
    assert fingerprint(shape.fingerprint) == shape.fingerprint


def test_module_imports_neither_django_nor_sqlparse() -> None:
    # The kit and kit.analysis packages are stood in for by bare modules, so kit/__init__.py
    # (which sets Django up) stays out of the picture and only the two files themselves load.
    kit = Path(__file__).parents[1] / "kit"
    packages = [("kit", str(kit)), ("kit.analysis", str(kit / "analysis"))]
    code = (
        "import sys, types\n"
        f"for name, path in {packages!r}:\n"
        "    sys.modules[name] = types.ModuleType(name)\n"
        "    sys.modules[name].__path__ = [path]\n"
        "from kit.analysis.fingerprint import fingerprint\n"
        "assert fingerprint('SELECT 1') == 'SELECT ?'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'sqlparse')))\n"
        "print(sorted(m for m in sys.modules if m.startswith('kit.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == [
        "[]",
        "['kit.analysis', 'kit.analysis.fingerprint', 'kit.analysis.sqltokens']",
    ]


# Pieces Django, users and garbage put into SQL; joined with and without spaces.
SQL_PIECES = st.sampled_from(
    [
        "SELECT", "FROM", "WHERE", "IN", "VALUES", "ARRAY", "LIMIT", "OFFSET", "ORDER BY",
        "NULL", "WITH", "AS", "UPDATE", "SAVEPOINT", "ROLLBACK TO", "FETCH", "DECLARE", "(",
        ")", "[", "]", ",", ".", ";", "...", "::", ":", "$", "$$", "%", "%%", "*", "-", "+",
        "'it''s'", "'open", "E'\\''", '"Order"', '"a""b"', "`t`", "[col]", "%s", "?", "$1",
        ":name", "%(n)s", "1", "-1", "2.5e3", "0x1F", "--c\n", "/*c*/", "x", "t1", "Select",
        "ß", "İ", " ", "\n",
    ]
)  # fmt: skip
SQL_LIKE = st.lists(SQL_PIECES, max_size=40).map(" ".join) | st.lists(SQL_PIECES, max_size=40).map(
    "".join
)


@settings(max_examples=300)
@given(st.text())
def test_never_raises_on_any_text(sql: str) -> None:
    shape = sql_shape(sql)
    assert isinstance(shape.fingerprint, str)
    assert shape.kind in KINDS
    assert isinstance(shape.tables, tuple)
    assert list(shape.tables) == sorted(set(shape.tables))
    assert all(isinstance(table, str) and table for table in shape.tables)


@settings(max_examples=500)
@given(st.one_of(SQL_LIKE, st.text()))
@example("ORDER BY ORDER BY NULL NULL").via("found by hypothesis")
@example("ORDER ORDER BY NULL BY NULL").via("the same, one word apart")
def test_fingerprint_is_idempotent(sql: str) -> None:
    once = fingerprint(sql)
    assert fingerprint(once) == once
