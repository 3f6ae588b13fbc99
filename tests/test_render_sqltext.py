"""SQL for reading: sqlparse's indented form when it is quick, the kit's own layout past that."""

from __future__ import annotations

import time

import pytest
import sqlparse
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.analysis.sqltokens import tokens
from kit.render.sqltext import format_params, format_sql, layout_sql


def meaning(sql: str) -> list[tuple[str, str]]:
    """What the SQL says, blanks aside: each token's kind and value."""
    return [(t.kind, t.value) for t in tokens(sql) if t.kind != "whitespace"]


def in_list(values: int) -> str:
    params = ", ".join(["%s"] * values)
    return f'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" IN ({params})'


def test_short_sql_is_indented_by_sqlparse() -> None:
    sql = (
        'select "blog_post"."id", COUNT("c"."id") from "blog_post" left outer join "c" on '
        '("blog_post"."id" = "c"."post_id") where "blog_post"."id" = %s group by 1'
    )
    expected = sqlparse.format(sql, reindent=True, keyword_case="upper").strip()
    assert format_sql(sql) == expected
    assert expected.count("\n") >= 4


@pytest.mark.parametrize(
    "sql",
    [
        in_list(3_400),  # past sqlparse's 10,000 tokens: SQLParseError after seconds
        in_list(250_000),  # 1 MB
        " " * 10_000 + "SELECT 1",  # 10,000 blank tokens for sqlparse
        "SELECT 1 FROM t WHERE " + "x IN (SELECT y FROM u WHERE " * 50 + "1 = 1" + ")" * 50,
        "SELECT " + "COALESCE(" * 60 + "1" + ")" * 60,  # sqlparse: grouping depth exceeded
    ],
    ids=["in_3400", "in_1mb", "blanks", "nested_subqueries", "nested_calls"],
)
def test_long_or_deep_sql_is_laid_out_without_sqlparse(sql: str) -> None:
    start = time.perf_counter()
    text = format_sql(sql)
    elapsed = time.perf_counter() - start
    assert text == layout_sql(tokens(sql))
    assert meaning(text) == meaning(sql)
    assert elapsed < 3.0, f"{len(sql):,} characters took {elapsed:.2f} s"  # 0.4 s for 1 MB


LAYOUTS = [
    pytest.param(
        'select "t"."a", LEFT("t"."b", 3) from "t" left outer join "u" on ("t"."id" = "u"."t_id") '
        'where "t"."a" in (select "v"."a" from "v" where "v"."b" = %s) order by 1 desc limit 5',
        'SELECT "t"."a", LEFT("t"."b", 3)\n'
        'FROM "t"\n'
        'LEFT OUTER JOIN "u" ON ("t"."id" = "u"."t_id")\n'
        'WHERE "t"."a" IN (SELECT "v"."a" FROM "v" WHERE "v"."b" = %s)\n'
        "ORDER BY 1 DESC\n"
        "LIMIT 5",
        id="clauses_and_joins_at_the_top_level",
    ),
    pytest.param(
        "SELECT a -- why\n  FROM t /* keep */ WHERE b = 'two\n  lines'",
        "SELECT a -- why\nFROM t /* keep */\nWHERE b = 'two\n  lines'",
        id="line_comment_ends_its_line_strings_kept",
    ),
    pytest.param(
        "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s) RETURNING t.id",
        "INSERT INTO t (a, b)\nVALUES (%s, %s), (%s, %s)\nRETURNING t.id",
        id="insert",
    ),
    pytest.param(
        "UPDATE t SET a = t.select + 1 WHERE t.from IS NULL",
        "UPDATE t\nSET a = t.select + 1\nWHERE t.from IS NULL",
        id="names_after_a_dot_are_no_clauses",
    ),
    pytest.param(
        "SELECT 1 UNION ALL SELECT 2 FROM t NATURAL LEFT JOIN u CROSS JOIN w",
        "SELECT 1\nUNION ALL\nSELECT 2\nFROM t\nNATURAL LEFT JOIN u\nCROSS JOIN w",
        id="set_operations_and_join_words",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), LAYOUTS)
def test_layout(sql: str, expected: str) -> None:
    assert layout_sql(tokens(sql)) == expected


SQL_PIECES = st.sampled_from(
    [
        "SELECT", "FROM", "WHERE", "LEFT", "JOIN", "OUTER", "(", ")", ",", ".", ";", "'a b'",
        "'", '"x"', "t", "%s", "-", "--", "-- c", "/*", "*/", "/* c */", "\n", "\r", " ",
        "\t", "$$", "#", "E'", "[a]", "1", "order", "by",
    ]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(SQL_PIECES, max_size=30).map("".join))
def test_layout_changes_only_blanks_and_keyword_case(sql: str) -> None:
    assert meaning(layout_sql(tokens(sql))) == meaning(sql)


def test_params_show_a_drivers_subclass_of_a_builtin_as_its_value():
    class Int4(int):  # what psycopg 3 passes for Django's literal 1 in exists()
        def __repr__(self) -> str:
            return f"Int4({int(self)})"

    class Text(str):
        pass

    assert format_params((Int4(1), 7, True, Text("a"), [Int4(2)], None)) == (
        "(1, 7, True, 'a', [2], None)"
    )
