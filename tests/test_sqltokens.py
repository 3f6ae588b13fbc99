"""The SQL lexer on hand-made SQL: every kind of token, each dialect's rules, size and speed."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.analysis.sqltokens import GENERIC, Dialect, Token, _Lexer, tokens


def kw(text: str) -> Token:
    return Token("keyword", text, text.upper())


def name(text: str, value: str | None = None) -> Token:
    return Token("identifier", text, text if value is None else value)


def string(text: str) -> Token:
    return Token("string", text, text)


def number(text: str) -> Token:
    return Token("number", text, text)


def ph(text: str) -> Token:
    return Token("placeholder", text, text)


def op(text: str, value: str | None = None) -> Token:
    return Token("operator", text, text if value is None else value)


def p(text: str) -> Token:
    return Token("punctuation", text, text)


def comment(text: str) -> Token:
    return Token("comment", text, text)


def other(text: str) -> Token:
    return Token("other", text, text)


def words(sql: str, dialect: Dialect = GENERIC) -> list[Token]:
    """The tokens of sql without the whitespace ones."""
    return [t for t in tokens(sql, dialect) if t.kind != "whitespace"]


# fmt: off
CASES = [
    pytest.param(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = %s',
        [kw("SELECT"), name('"blog_post"', "blog_post"), p("."), name('"id"', "id"),
         kw("FROM"), name('"blog_post"', "blog_post"), kw("WHERE"),
         name('"blog_post"', "blog_post"), p("."), name('"id"', "id"), op("="), ph("%s")],
        id="django_postgresql",
    ),
    pytest.param(
        "select `blog_post`.`id` from `blog_post` T4",
        [kw("select"), name("`blog_post`", "blog_post"), p("."), name("`id`", "id"),
         kw("from"), name("`blog_post`", "blog_post"), name("T4")],
        id="django_mysql_keywords_upper_cased_in_value",
    ),
    pytest.param(
        '"a""b" `a``b` [a b] "" "open',
        [name('"a""b"', 'a"b'), name("`a``b`", "a`b"), name("[a b]", "a b"), name('""', ""),
         name('"open', "open")],
        id="quoted_identifiers_doubled_quotes_undone",
    ),
    pytest.param(
        't.select, t."order", t.  FROM, "select"',
        [name("t"), p("."), name("select"), p(","), name("t"), p("."), name('"order"', "order"),
         p(","), name("t"), p("."), name("FROM"), p(","), name('"select"', "select")],
        id="after_a_dot_a_word_is_a_name",
    ),
    pytest.param(
        "'it''s' E'it\\'s' e'\\\\' N'n' X'1F' B'01' 'a\\' 'open",
        [string("'it''s'"), string("E'it\\'s'"), string("e'\\\\'"), string("N'n'"),
         string("X'1F'"), string("B'01'"), string("'a\\'"), string("'open")],
        id="strings_with_escaped_quotes",
    ),
    pytest.param(
        "$$ it's $$ $fn$ $$ ; $fn$ $1 $x$ open",
        [string("$$ it's $$"), string("$fn$ $$ ; $fn$"), ph("$1"), string("$x$ open")],
        id="dollar_quoted_strings",
    ),
    pytest.param(
        "%s %(name)s ? ?2 $1 :name :1 %b %t",
        [ph("%s"), ph("%(name)s"), ph("?"), ph("?2"), ph("$1"), ph(":name"), ph(":1"),
         ph("%b"), ph("%t")],
        id="placeholders",
    ),
    pytest.param(
        "1 1.5 .5 1. 2.5e3 1E-3 0x1F 18446744073709551615",
        [number("1"), number("1.5"), number(".5"), number("1."), number("2.5e3"),
         number("1E-3"), number("0x1F"), number("18446744073709551615")],
        id="numbers",
    ),
    pytest.param(
        "a -- line ; b\nc /* block ; */ d /* open",
        [name("a"), comment("-- line ; b"), name("c"), comment("/* block ; */"), name("d"),
         comment("/* open")],
        id="comments",
    ),
    pytest.param(
        "SELECT 1; SELECT ';'; -- ;\n",
        [kw("SELECT"), number("1"), p(";"), kw("SELECT"), string("';'"), p(";"),
         comment("-- ;")],
        id="multi_statement",
    ),
    pytest.param(
        "a::text <=> b ->> 'k' || c %% 2 != d <> e @> f ... [1] # ~",
        [name("a"), op("::"), name("text"), op("<=>"), name("b"), op("->>"), string("'k'"),
         op("||"), name("c"), op("%%", "%"), number("2"), op("!="), name("d"), op("<>"),
         name("e"), op("@>"), name("f"), p("..."), p("["), number("1"), p("]"), op("#"),
         op("~")],
        id="operators_and_punctuation",
    ),
    pytest.param(
        "x[a] ARRAY[1] ([y])",
        [name("x"), p("["), name("a"), p("]"), kw("ARRAY"), p("["), number("1"), p("]"),
         p("("), name("[y]", "y"), p(")")],
        id="brackets_subscript_or_sqlite_name",
    ),
    pytest.param(
        "COUNT(*) Über ß \\ { $",
        [kw("COUNT"), p("("), op("*"), p(")"), name("Über"), name("ß"), other("\\"),
         other("{"), other("$")],
        id="calls_non_ascii_and_other",
    ),
]
# fmt: on


@pytest.mark.parametrize(("sql", "expected"), CASES)
def test_tokens(sql: str, expected: list[Token]) -> None:
    assert words(sql) == expected


MYSQL = Dialect(
    backslash_escapes=True, double_quoted_strings=True, dollar_quotes=False, mysql_comments=True
)
POSTGRESQL = Dialect(nested_comments=True, cr_ends_comments=True)

# fmt: off
DIALECT_CASES = [
    pytest.param(
        "'a\\' ; \"b\\\" ;",
        GENERIC,
        [string("'a\\'"), p(";"), name('"b\\"', "b\\"), p(";")],
        id="generic_backslash_is_text",
    ),
    pytest.param(
        "'a\\' ; \"b\\\" ;",
        MYSQL,
        [string("'a\\' ; \"b\\\" ;")],
        id="mysql_same_text_is_one_open_string",
    ),
    pytest.param(
        "'a\\'' ; \"b\\\"\" ;",
        MYSQL,
        [string("'a\\''"), p(";"), string('"b\\""'), p(";")],
        id="mysql_backslash_escapes_and_double_quoted_strings",
    ),
    pytest.param(
        "a # c ; d\nb --x -- y ;\n--",
        MYSQL,
        [name("a"), comment("# c ; d"), name("b"), op("-"), op("-"), name("x"),
         comment("-- y ;"), comment("--")],
        id="mysql_hash_and_spaced_dash_comments",
    ),
    pytest.param(
        "a # c ; d\nb --x -- y ;\n",
        GENERIC,
        [name("a"), op("#"), name("c"), p(";"), name("d"), name("b"), comment("--x -- y ;")],
        id="generic_hash_is_an_operator",
    ),
    pytest.param(
        "SELECT 1 /*!50001 FOR UPDATE */ /*M! ; */ /* x */",
        MYSQL,
        [kw("SELECT"), number("1"), comment("/*!50001"), kw("FOR"), kw("UPDATE"),
         comment("*/"), comment("/*M!"), p(";"), comment("*/"), comment("/* x */")],
        id="mysql_executable_comments_hold_code",
    ),
    pytest.param(
        "$$ ; $$",
        MYSQL,
        [other("$"), other("$"), p(";"), other("$"), other("$")],
        id="mysql_has_no_dollar_quotes",
    ),
    pytest.param(
        "a /* x /* y */ ' */ ; b /* **/ c //* d */",
        POSTGRESQL,
        [name("a"), comment("/* x /* y */ ' */"), p(";"), name("b"), comment("/* **/"),
         name("c"), op("/"), comment("/* d */")],
        id="postgresql_nested_comments",
    ),
    pytest.param(
        "a /* x /* y */ ' */ ; b",
        GENERIC,
        [name("a"), comment("/* x /* y */"), string("' */ ; b")],
        id="generic_comments_do_not_nest",
    ),
    pytest.param(
        "a --x\r; b",
        POSTGRESQL,
        [name("a"), comment("--x"), p(";"), name("b")],
        id="postgresql_carriage_return_ends_a_comment",
    ),
    pytest.param(
        "a --x\r; b",
        GENERIC,
        [name("a"), comment("--x\r; b")],
        id="generic_comment_ends_at_newline",
    ),
]
# fmt: on


@pytest.mark.parametrize(("sql", "dialect", "expected"), DIALECT_CASES)
def test_tokens_in_a_dialect(sql: str, dialect: Dialect, expected: list[Token]) -> None:
    assert words(sql, dialect) == expected


def test_quoted_is_true_only_for_quoted_names() -> None:
    found = words('a "b" `c` [d] \'e\' "f')
    assert [t.quoted for t in found] == [False, True, True, True, False, True]


def test_equal_texts_share_one_token() -> None:
    found = tokens("IN (" + ", ".join(["%s"] * 1000) + ")")
    placeholders = [t for t in found if t.kind == "placeholder"]
    assert len(placeholders) == 1000
    assert len({id(t) for t in placeholders}) == 1


DIALECTS = [GENERIC, MYSQL, POSTGRESQL, Dialect(backslash_escapes=True, nested_comments=True)]
SQL_PIECES = st.sampled_from(
    [
        "SELECT", "FROM", "t.select", "(", ")", "[", "]", "[a]", ",", ".", ";", "...", "'",
        "''", "'a\\'", "E'", '"', '""', '"a\\"', "`", "$", "$$", "$a$", "--", "-- ", "#", "/*",
        "*/", "/*!", "%s", "%(", "?", ":x", "1.5", "\\", "\r", "\n", " ", "x", "ß",
    ]
)  # fmt: skip
SQL_LIKE = st.lists(SQL_PIECES, max_size=30).map("".join)


@settings(max_examples=300)
@given(st.one_of(SQL_LIKE, st.text()), st.sampled_from(DIALECTS))
def test_tokens_give_the_text_back(sql: str, dialect: Dialect) -> None:
    found = tokens(sql, dialect)
    assert "".join(t.text for t in found) == sql
    assert all(t.text for t in found)


@settings(max_examples=300)
@given(st.one_of(SQL_LIKE, st.text()), st.sampled_from(DIALECTS))
def test_both_ways_of_splitting_agree(sql: str, dialect: Dialect) -> None:
    # findall() on the group-free expression is the fast path; finditer() on the one with
    # groups, which dollar quotes and nested comments need, must split every other text alike.
    sql = sql.replace("$", "").replace("/*", "")
    lexer = _Lexer(dialect)
    assert lexer.plain.findall(sql) == [m.group() for m in lexer.pattern.finditer(sql)]


def test_a_huge_in_list_tokenizes_in_linear_time() -> None:
    def in_list(values: int) -> str:
        return 'SELECT "t"."id" FROM "t" WHERE "t"."id" IN (' + ", ".join(["%s"] * values) + ")"

    sql = in_list(250_000)  # 1 MB
    assert len(sql) > 1_000_000
    start = time.perf_counter()
    found = tokens(sql)
    elapsed = time.perf_counter() - start
    assert sum(t.kind == "placeholder" for t in found) == 250_000
    assert elapsed < 3.0, f"1 MB took {elapsed:.2f} s"  # about 0.2 s on a 2-core VM


UNCLOSED = {
    "quotes": "'" * 200_000,
    "comments": "/*" * 100_000,
    "dollars": "$$" * 100_000,
    "brackets": "[a " * 66_000,
    "pyformat": "%(" * 100_000,
    "backslashes": "\\" * 200_000,
    "blanks": " " * 200_000 + "x",
    "nested": "/* /* " * 33_000,
    "e_strings": "E'\\" * 66_000,
}


@pytest.mark.parametrize("sql", UNCLOSED.values(), ids=UNCLOSED.keys())
def test_unclosed_openers_do_not_make_it_quadratic(sql: str) -> None:
    start = time.perf_counter()
    for dialect in DIALECTS:
        assert "".join(t.text for t in tokens(sql, dialect)) == sql
    elapsed = time.perf_counter() - start
    assert elapsed < 4.0, f"{len(DIALECTS)} readings of 200 KB took {elapsed:.2f} s"
