"""SQL as the query table shows it: long lists cut, lines wrapped between tokens."""

from __future__ import annotations

import pytest

from kit.render.sqltext import hover_sql, shorten_lists, wrap_sql


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        (
            "DELETE FROM t WHERE id IN (" + ", ".join(["%s"] * 177) + ")",
            "DELETE FROM t WHERE id IN (%s, %s, %s, … 177 in all)",
        ),
        ("SELECT 1 WHERE x IN (%s, %s)", "SELECT 1 WHERE x IN (%s, %s)"),
        (
            "SELECT 1 WHERE x IN (1, 2, 3, 4, 5, 6, 7, 8, 9)",
            "SELECT 1 WHERE x IN (1, 2, 3, … 9 in all)",
        ),
        (
            "INSERT INTO t (a, b) VALUES " + ", ".join(["(%s, %s)"] * 20) + " RETURNING id",
            "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s), … 20 rows in all RETURNING id",
        ),
        (
            "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s)",
            "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s)",
        ),
        # Django 5.2's composite pk__in on SQLite: one OR-ed pair per key.
        (
            'UPDATE "d" SET "v" = %s WHERE ('
            + " OR ".join(['("d"."post_id" = %s AND "d"."day" = %s)'] * 400)
            + ")",
            'UPDATE "d" SET "v" = %s WHERE (("d"."post_id" = %s AND "d"."day" = %s) OR '
            '("d"."post_id" = %s AND "d"."day" = %s) OR … 400 alike in all)',
        ),
        (
            "SELECT 1 WHERE (a = %s AND b = %s) OR (a = %s AND b = %s)",
            "SELECT 1 WHERE (a = %s AND b = %s) OR (a = %s AND b = %s)",
        ),
        # Strings are not placeholders: a list of them is the SQL's own text.
        ("SELECT 1 WHERE x IN ('a', 'b')", "SELECT 1 WHERE x IN ('a', 'b')"),
    ],
)
def test_long_lists_are_cut_for_reading(sql, shown):
    assert shorten_lists(sql) == shown


def test_lines_wrap_between_tokens_never_inside_a_name_or_a_string():
    line = (
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."title" = '
        '\'a long   string with spaces\' AND "blog_post"."id" IN (1, 2, 3)'
    )
    wrapped = wrap_sql(line, 40).splitlines()
    assert wrapped == [
        'SELECT "blog_post"."id" FROM "blog_post"',
        '    WHERE "blog_post"."title" =',
        "    'a long   string with spaces' AND",
        '    "blog_post"."id" IN (1, 2, 3)',
    ]
    assert wrap_sql("  WHERE x = 1", 40) == "  WHERE x = 1"
    # One token longer than the width keeps its line whole.
    assert wrap_sql('"' + "x" * 50 + '"', 40) == '"' + "x" * 50 + '"'


def test_hover_sql_is_plain_wrapped_and_safe_for_plotly_templates():
    hover = hover_sql("SELECT \"a\" FROM t WHERE x < 1 AND y LIKE '%{z}'", width=20)
    assert "&quot;" not in hover and '"a"' in hover
    assert "&lt;" in hover and "%{" not in hover
    assert all(len(part) <= 24 for part in hover.split("<br>"))
