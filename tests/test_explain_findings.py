"""Plan findings: what each stored plan finds, and each kind of finding at its threshold."""

from __future__ import annotations

from typing import Any

import pytest

from kit.explain.findings import Thresholds, find_plan_issues
from kit.explain.plan import FULL_SCAN, INDEX_SCAN, JOIN, SORT, PlanNode, finalize
from kit.explain.sqlrefs import ColumnRef, sql_refs
from kit.explain.suggest import suggest_index
from tests.explain_fixtures import FIXTURES, load, parse, table_info


def fixture_findings(name: str, limits: Thresholds) -> list[tuple[Any, ...]]:
    """(kind, node id, table, columns, index fields) of each finding of a stored plan."""
    fixture = load(name)
    tables = {t: table_info(t, v["rows"], v["indexes"]) for t, v in fixture["tables"].items()}
    root, _, _ = parse(name)
    return [
        (f.kind, f.node_id, str(f.table), f.columns, f.index.fields if f.index else None)
        for f in find_plan_issues(root, fixture["sql"], fixture["vendor"], tables, limits)
    ]


# What every stored plan finds with the default thresholds (1,000 rows, 1,000 loops, 10x).
DEFAULT_FINDINGS = [
    (
        "mariadb-correlated-analyze",
        [
            ("full_scan", 1, "blog_post", (), None),
            ("nested_loop", 3, "blog_comment", ("post_id",), None),
        ],
    ),
    ("mariadb-correlated-plain", []),
    (
        "mariadb-correlated_columns-analyze",
        [
            (
                "full_scan",
                1,
                "blog_post",
                ("published", "like_count"),
                ("published", "like_count"),
            ),
            ("filter", 1, "blog_post", ("published", "like_count"), None),
            ("misestimate", 1, "blog_post", ("published", "like_count"), None),
        ],
    ),
    ("mariadb-correlated_columns-plain", []),
    (
        "mariadb-delete-plain",
        [
            ("full_scan", 1, "blog_rating", ("score",), ("score",)),
        ],
    ),
    (
        "mariadb-exists-analyze",
        [
            ("full_scan", 2, "blog_post", (), None),
            ("full_scan", 5, "blog_comment", ("post_id", "is_approved"), ("post", "is_approved")),
        ],
    ),
    (
        "mariadb-exists-plain",
        [
            ("full_scan", 5, "blog_comment", ("post_id", "is_approved"), ("post", "is_approved")),
        ],
    ),
    (
        "mariadb-filter_sort-analyze",
        [
            (
                "full_scan",
                2,
                "blog_post",
                ("published", "view_count"),
                ("published", "view_count"),
            ),
        ],
    ),
    ("mariadb-filter_sort-plain", []),
    (
        "mariadb-group_join-analyze",
        [
            ("sort", 1, "None", (), None),
            ("temp", 2, "auth_user", ("username",), None),
            ("nested_loop", 6, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "mariadb-group_join-plain",
        [
            ("sort", 1, "None", (), None),
            ("temp", 2, "auth_user", ("username",), None),
            ("nested_loop", 6, "blog_comment", ("post_id",), None),
        ],
    ),
    ("mariadb-insert-plain", []),
    ("mariadb-select_related-analyze", []),
    (
        "mariadb-select_related-plain",
        [
            ("nested_loop", 4, "auth_user", ("id",), None),
        ],
    ),
    ("mariadb-update-plain", []),
    (
        "mysql8-correlated-analyze",
        [
            ("full_scan", 1, "blog_post", (), None),
            ("nested_loop", 4, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "mysql8-filter_sort-analyze",
        [
            ("misestimate", 2, "blog_post", ("published", "view_count"), None),
            (
                "full_scan",
                3,
                "blog_post",
                ("published", "view_count"),
                ("published", "view_count"),
            ),
        ],
    ),
    (
        "mysql8-filter_sort-plain",
        [
            (
                "full_scan",
                2,
                "blog_post",
                ("published", "view_count"),
                ("published", "view_count"),
            ),
            ("filter", 2, "blog_post", ("published", "view_count"), None),
        ],
    ),
    (
        "mysql8-group_join-analyze",
        [
            ("temp", 3, "auth_user", ("username",), None),
            ("nested_loop", 8, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "mysql8-group_join-plain",
        [
            ("sort", 1, "None", (), None),
            ("temp", 2, "auth_user", ("username",), None),
            ("nested_loop", 6, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "mysql8-select_related-plain",
        [
            ("full_scan", 2, "blog_comment", ("is_approved",), ("is_approved",)),
            ("filter", 2, "blog_comment", ("is_approved",), None),
        ],
    ),
    (
        "postgresql-correlated-analyze",
        [
            ("full_scan", 0, "blog_post", (), None),
            ("nested_loop", 2, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "postgresql-correlated-plain",
        [
            ("full_scan", 0, "blog_post", (), None),
            ("nested_loop", 2, "blog_comment", ("post_id",), None),
        ],
    ),
    (
        "postgresql-correlated_columns-analyze",
        [
            (
                "full_scan",
                0,
                "blog_post",
                ("published", "like_count"),
                ("published", "like_count"),
            ),
            ("filter", 0, "blog_post", ("published", "like_count"), None),
            ("misestimate", 0, "blog_post", ("published", "like_count"), None),
        ],
    ),
    (
        "postgresql-correlated_columns-plain",
        [
            (
                "full_scan",
                0,
                "blog_post",
                ("published", "like_count"),
                ("published", "like_count"),
            ),
        ],
    ),
    (
        "postgresql-delete-plain",
        [
            ("full_scan", 1, "blog_rating", ("score",), ("score",)),
            ("filter", 1, "blog_rating", ("score",), None),
        ],
    ),
    (
        "postgresql-exists-analyze",
        [
            ("full_scan", 1, "blog_post", (), None),
            ("full_scan", 4, "blog_comment", ("post_id", "is_approved"), ("post", "is_approved")),
        ],
    ),
    (
        "postgresql-exists-plain",
        [
            ("full_scan", 1, "blog_post", (), None),
            ("full_scan", 4, "blog_comment", ("post_id", "is_approved"), ("post", "is_approved")),
        ],
    ),
    (
        "postgresql-filter_sort-analyze",
        [
            (
                "full_scan",
                2,
                "blog_post",
                ("published", "view_count"),
                ("published", "view_count"),
            ),
        ],
    ),
    (
        "postgresql-filter_sort-plain",
        [
            (
                "full_scan",
                2,
                "blog_post",
                ("published", "view_count"),
                ("published", "view_count"),
            ),
        ],
    ),
    (
        "postgresql-group_join-analyze",
        [
            ("full_scan", 5, "blog_comment", (), None),
            ("full_scan", 7, "blog_post", (), None),
        ],
    ),
    (
        "postgresql-group_join-plain",
        [
            ("full_scan", 5, "blog_comment", (), None),
            ("full_scan", 7, "blog_post", (), None),
        ],
    ),
    ("postgresql-insert-plain", []),
    ("postgresql-select_related-analyze", []),
    (
        "postgresql-select_related-plain",
        [
            ("nested_loop", 6, "auth_user", ("id",), None),
        ],
    ),
    (
        "postgresql-update-plain",
        [
            ("full_scan", 1, "blog_post", ("view_count",), ("view_count",)),
        ],
    ),
    (
        "sqlite-correlated-analyze",
        [
            ("full_scan", 1, "blog_post", (), None),
        ],
    ),
    (
        "sqlite-correlated-plain",
        [
            ("full_scan", 1, "blog_post", (), None),
        ],
    ),
    (
        "sqlite-correlated_columns-analyze",
        [
            ("full_scan", 1, "blog_post", ("like_count",), ("like_count",)),
        ],
    ),
    (
        "sqlite-correlated_columns-plain",
        [
            ("full_scan", 1, "blog_post", ("like_count",), ("like_count",)),
        ],
    ),
    (
        "sqlite-delete-plain",
        [
            ("full_scan", 1, "blog_rating", ("score",), ("score",)),
        ],
    ),
    ("sqlite-exists-analyze", []),
    ("sqlite-exists-plain", []),
    (
        "sqlite-filter_sort-analyze",
        [
            ("full_scan", 1, "blog_post", ("view_count",), ("view_count",)),
            ("sort", 2, "blog_post", ("created_at",), ("created_at",)),
        ],
    ),
    (
        "sqlite-filter_sort-plain",
        [
            ("full_scan", 1, "blog_post", ("view_count",), ("view_count",)),
            ("sort", 2, "blog_post", ("created_at",), ("created_at",)),
        ],
    ),
    (
        "sqlite-group_join-analyze",
        [
            ("sort", 6, "None", (), None),
        ],
    ),
    (
        "sqlite-group_join-plain",
        [
            ("sort", 6, "None", (), None),
        ],
    ),
    ("sqlite-insert-plain", []),
    (
        "sqlite-select_related-analyze",
        [
            ("full_scan", 3, "blog_comment", (), None),
        ],
    ),
    (
        "sqlite-select_related-plain",
        [
            ("full_scan", 3, "blog_comment", (), None),
        ],
    ),
    (
        "sqlite-update-plain",
        [
            ("full_scan", 1, "blog_post", ("view_count",), ("view_count",)),
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "expected"), DEFAULT_FINDINGS, ids=[n for n, _ in DEFAULT_FINDINGS]
)
def test_stored_plan_findings(name, expected):
    assert fixture_findings(name, Thresholds()) == expected


def test_every_stored_plan_has_expected_findings():
    assert sorted(n for n, _ in DEFAULT_FINDINGS) == sorted(
        p.stem for p in FIXTURES.glob("*.json")
    )


LOW = Thresholds(min_rows=100, min_loops=100)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "postgresql-filter_sort-analyze",
            [
                ("sort", 1, "blog_post", ("created_at",), ("published", "created_at")),
                (
                    "full_scan",
                    2,
                    "blog_post",
                    ("published", "view_count"),
                    ("published", "view_count"),
                ),
            ],
        ),
        (
            "mariadb-filter_sort-analyze",
            [
                ("sort", 1, "blog_post", ("created_at",), ("published", "created_at")),
                (
                    "full_scan",
                    2,
                    "blog_post",
                    ("published", "view_count"),
                    ("published", "view_count"),
                ),
            ],
        ),
        (
            "mariadb-select_related-plain",
            [
                ("full_scan", 2, "blog_post", (), None),
                ("nested_loop", 3, "blog_comment", ("post_id", "user_id"), None),
                ("nested_loop", 4, "auth_user", ("id",), None),
            ],
        ),
    ],
)
def test_lower_thresholds_find_smaller_problems(name, expected):
    assert fixture_findings(name, LOW) == expected


def test_messages_name_the_table_columns_and_the_index_to_add():
    fixture = load("postgresql-correlated_columns-analyze")
    tables = {t: table_info(t, v["rows"], v["indexes"]) for t, v in fixture["tables"].items()}
    root, _, _ = parse("postgresql-correlated_columns-analyze")
    messages = {
        f.kind: f.message for f in find_plan_issues(root, fixture["sql"], "postgresql", tables)
    }
    assert messages == {
        "full_scan": "Full scan of blog_post (1,000 rows) to filter on published, like_count. "
        "Add models.Index(fields=['published', 'like_count']) to Post.Meta.indexes.",
        "filter": "The filter on published, like_count on blog_post throws away 100% of the "
        "1,000 rows it reads, keeping 0.",
        "misestimate": "Seq Scan reading blog_post on published, like_count: the planner "
        "expected 127 rows, got 0 (127x fewer), so it may pick the wrong plan. Refresh its "
        "statistics: ANALYZE blog_post. If they are fresh, the columns go together: CREATE "
        "STATISTICS blog_post_published_like_count_stats ON published, like_count FROM "
        "blog_post; then ANALYZE blog_post.",
    }


# Hand-built plans: each kind of finding just at and just under its threshold.
POST_SQL = (
    'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."view_count" >= %s '
    'ORDER BY "blog_post"."created_at" DESC'
)
JOIN_SQL = (
    'SELECT "blog_comment"."id" FROM "blog_comment" INNER JOIN "blog_post" '
    'ON ("blog_comment"."post_id" = "blog_post"."id")'
)


def findings_of(node: PlanNode, sql: str, rows: float = 5_000.0, **limits: Any) -> list[Any]:
    tables = {t: table_info(t, rows) for t in ("blog_post", "blog_comment")}
    root = finalize(node)
    return list(find_plan_issues(root, sql, "postgresql", tables, Thresholds(**limits)))


def scan(table: str = "blog_post", **fields: Any) -> PlanNode:
    return PlanNode("Seq Scan", FULL_SCAN, relation=table, **fields)


@pytest.mark.parametrize(("rows", "found"), [(1_000, True), (999, False)])
def test_full_scan_of_a_table_with_many_rows(rows, found):
    kinds = [f.kind for f in findings_of(scan(), POST_SQL, rows=rows)]
    assert ("full_scan" in kinds) is found


def test_full_scan_names_table_columns_and_index():
    (finding,) = [f for f in findings_of(scan(), POST_SQL) if f.kind == "full_scan"]
    assert (finding.table, finding.columns) == ("blog_post", ("view_count",))
    assert (
        finding.index is not None and finding.index.code == "models.Index(fields=['view_count'])"
    )
    assert "blog_post" in finding.message and "view_count" in finding.message
    assert "Post.Meta.indexes" in finding.message


@pytest.mark.parametrize(("removed", "found"), [(900, True), (899, False)])
def test_filter_that_discards_most_rows(removed, found):
    node = PlanNode(
        "Index Scan",
        INDEX_SCAN,
        relation="blog_post",
        index="i",
        detail="Filter: (view_count >= 10)",
        actual_rows=1_000 - removed,
        rows_removed=removed,
        loops=1,
    )
    found_kinds = [f.kind for f in findings_of(node, POST_SQL)]
    assert ("filter" in found_kinds) is found


@pytest.mark.parametrize(
    ("estimated", "actual", "sql", "found"),
    [
        (10, 100, POST_SQL, True),
        (10, 99, POST_SQL, False),
        (1_000, 100, POST_SQL, True),
        (1_000, 100, POST_SQL + " LIMIT 10", False),  # a LIMIT stops early by design
        (10, 100, POST_SQL + " LIMIT 10", True),
    ],
)
def test_row_misestimate_of_ten_times(estimated, actual, sql, found):
    node = PlanNode(
        "Index Scan",
        INDEX_SCAN,
        relation="blog_post",
        index="i",
        estimated_rows=estimated,
        actual_rows=actual,
        loops=1,
    )
    misestimates = [f for f in findings_of(node, sql) if f.kind == "misestimate"]
    assert bool(misestimates) is found
    if found:
        assert "blog_post" in misestimates[0].message and "view_count" in misestimates[0].message


def test_misestimate_needs_analyze():
    node = PlanNode("Index Scan", INDEX_SCAN, relation="blog_post", estimated_rows=10)
    assert [f.kind for f in findings_of(node, POST_SQL)] == []


@pytest.mark.parametrize(("loops", "found"), [(1_000, True), (999, False)])
def test_nested_loop_with_many_loops(loops, found):
    inner = scan("blog_post", actual_rows=1, rows_removed=4, loops=loops)
    outer = PlanNode(
        "Index Scan", INDEX_SCAN, relation="blog_comment", index="c", actual_rows=loops, loops=1
    )
    node = PlanNode("Nested Loop", JOIN, children=(outer, inner), actual_rows=loops, loops=1)
    loops_found = [f for f in findings_of(node, JOIN_SQL) if f.kind == "nested_loop"]
    assert bool(loops_found) is found
    if found:
        (finding,) = loops_found
        assert finding.severity == "warning" and finding.table == "blog_post"
        assert finding.columns == ("id",)
        assert "read 1,000 times" in finding.message and "a full scan" in finding.message


def test_nested_loop_over_an_index_lookup_is_information_without_an_index():
    inner = PlanNode(
        "Index Scan", INDEX_SCAN, relation="blog_post", index="pk", estimated_loops=5_000
    )
    outer = scan("blog_comment")
    node = PlanNode("Nested Loop", JOIN, children=(outer, inner))
    (finding,) = [f for f in findings_of(node, JOIN_SQL) if f.kind == "nested_loop"]
    assert finding.severity == "info" and finding.index is None
    assert "an index lookup" in finding.message


@pytest.mark.parametrize(("rows", "found"), [(1_000, True), (999, False)])
def test_sort_for_order_by(rows, found):
    node = PlanNode(
        "Sort", SORT, detail="Sort Key: created_at DESC", children=(scan(estimated_rows=rows),)
    )
    sorts = [f for f in findings_of(node, POST_SQL) if f.kind == "sort"]
    assert bool(sorts) is found
    if found:
        assert sorts[0].index is not None and sorts[0].index.fields == ("created_at",)
        assert "ORDER BY created_at on blog_post" in sorts[0].message


def test_sort_on_an_aggregate_suggests_no_index():
    sql = (
        'SELECT "blog_post"."author_id", COUNT(*) AS "n" FROM "blog_post" '
        'GROUP BY "blog_post"."author_id" ORDER BY "n" DESC'
    )
    node = PlanNode("Sort", SORT, children=(scan(estimated_rows=5_000),))
    (sort,) = [f for f in findings_of(node, sql) if f.kind == "sort"]
    assert sort.index is None and "no single index can provide" in sort.message


W, ORD = "WHERE", "ORDER"


@pytest.mark.parametrize(
    ("columns", "indexes", "expected"),
    [
        ([("view_count", W, "<", False)], (), ("view_count",)),
        ([("author_id", W, "=", False)], (), ("author",)),  # the field, not the column
        # The equality column has no direction; one sort direction needs no "-".
        (
            [("published", W, "=", False), ("created_at", ORD, "", True)],
            (),
            ("published", "created_at"),
        ),
        # Mixed directions keep their signs.
        ([("created_at", ORD, "", True), ("title", ORD, "", False)], (), ("-created_at", "title")),
        ([("view_count", W, "<", False)], (("view_count", "title"),), None),  # it exists
        ([("no_such_column", W, "=", False)], (), None),
        (
            [(c, W, "=", False) for c in ("title", "slug", "published", "like_count")],
            (),
            ("title", "slug", "published"),
        ),  # three columns at most
    ],
)
def test_suggested_index(columns, indexes, expected):
    refs = [ColumnRef("blog_post", c, clause, op, desc) for c, clause, op, desc in columns]
    index = suggest_index(table_info("blog_post", 10, indexes), refs, keep_direction=True)
    assert (index.fields if index else None) == expected


def test_suggested_index_code():
    refs = [ColumnRef("blog_post", "created_at", "ORDER", "", True)]
    index = suggest_index(table_info("blog_post", 10), refs)
    assert index is not None
    assert (index.model, index.label, index.code) == (
        "Post",
        "blog.Post",
        "models.Index(fields=['created_at'])",
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            'SELECT "t"."a" FROM "t" WHERE ("t"."b" AND "t"."c" >= %s) ORDER BY "t"."d" DESC',
            [
                ("t", "a", "SELECT", ""),
                ("t", "b", "WHERE", ""),
                ("t", "c", "WHERE", ">="),
                ("t", "d", "ORDER", ""),
            ],
        ),
        (
            'SELECT U0."a" FROM "blog_comment" U0 WHERE U0."post_id" = ("blog_post"."id")',
            [
                ("blog_comment", "a", "SELECT", ""),
                ("blog_comment", "post_id", "WHERE", "="),
                ("blog_post", "id", "WHERE", "value"),
            ],
        ),
        (
            "SELECT `t`.`a` AS `x`, COUNT(`u`.`b`) AS `n` FROM `t` LEFT OUTER JOIN `u` "
            "ON (`t`.`id` = `u`.`t_id`) GROUP BY 1 ORDER BY 2 DESC",
            [
                ("t", "a", "SELECT", ""),
                ("u", "b", "SELECT", ""),
                ("t", "id", "ON", "="),
                ("u", "t_id", "ON", "value"),
                ("t", "a", "GROUP", ""),
            ],
        ),
        (
            'SELECT "t"."a" FROM "t" WHERE UPPER("t"."b"::text) LIKE UPPER(%s) '
            'AND "t"."c" IN (%s, %s)',
            [("t", "a", "SELECT", ""), ("t", "b", "WHERE", ""), ("t", "c", "WHERE", "IN")],
        ),
        (
            'SELECT \'x.y\' FROM "t" T2 WHERE T2."a" IS NULL',
            [("t", "a", "WHERE", "IS")],
        ),
        (
            'SELECT "t"."a" FROM "t" -- "t"."x" = 1\nWHERE "t"."b" = %s /* OR "t"."y" < 2 */',
            [("t", "a", "SELECT", ""), ("t", "b", "WHERE", "=")],
        ),
        (
            'SELECT "t"."a" FROM "t" WHERE "t"."b" <=> %s GROUP BY 1.5, 0x1 ORDER BY 1e0',
            [("t", "a", "SELECT", ""), ("t", "b", "WHERE", "")],
        ),
    ],
)
def test_column_references_in_sql(sql, expected):
    refs = sql_refs(sql)
    assert [(r.table, r.column, r.clause, r.op) for r in refs.refs] == expected


def test_sql_references_know_calls_sorts_and_limits():
    refs = sql_refs(
        'SELECT "t"."a" FROM "t" WHERE UPPER("t"."b") = %s ORDER BY COUNT("t"."c") LIMIT 5'
    )
    assert [r.in_call for r in refs.refs if r.clause == "WHERE"] == [True]
    assert refs.orders_by_expression and refs.has_limit
    assert not sql_refs('SELECT "t"."a" FROM "t" ORDER BY "t"."a"').orders_by_expression


def test_a_filter_that_read_nothing_is_no_finding():
    node = scan(detail="Filter: (view_count >= 10)", actual_rows=0, rows_removed=0, loops=1)
    assert [f.kind for f in findings_of(node, POST_SQL) if f.kind == "filter"] == []
