"""analyze(): findings as values, worst first, on hand-built records (no database)."""

from __future__ import annotations

import pytest

from kit.analysis.findings import Finding, Places, sort_findings
from kit.analysis.report import analyze
from tests.records import (
    CELL,
    POST_AUTHOR,
    POST_BY_ID,
    POSTS,
    USER_BY_ID,
    Trace,
    part1_loop,
)

COUNT_POSTS = 'SELECT COUNT(*) AS "__count" FROM "blog_post" WHERE "blog_post"."author_id" = %s'
COUNT_PUBLISHED = (
    'SELECT COUNT(*) AS "__count" FROM "blog_post" WHERE ("blog_post"."author_id" = %s AND '
    '"blog_post"."published")'
)
VIEW_COUNTS = 'SELECT "blog_post"."view_count" FROM "blog_post" WHERE "blog_post"."author_id" = %s'
INSERT_TAG = 'INSERT INTO "blog_tag" ("name", "slug") VALUES (%s, %s)'


def findings_of(trace: Trace, threshold: int = 3) -> list[Finding]:
    return list(
        analyze(
            trace.records, threshold=threshold, cell_filename=CELL, source_text=trace.text
        ).findings
    )


def test_part1_loop_is_one_high_finding_with_the_full_fix():
    trace = part1_loop(posts=3, comments=2)
    (finding,) = findings_of(trace)
    assert finding.kind == "n_plus_one" and finding.severity == "high"
    assert finding.suggestion == (
        "Post.objects.select_related('author', 'category')"
        ".prefetch_related(Prefetch('comments', queryset=Comment.objects.select_related('user')))"
    )
    assert finding.line == 2
    assert finding.record_ids == tuple(range(1, len(trace.records)))
    assert finding.message == (
        "15 queries load related objects one at a time for the Post queryset of line 2: "
        "Post.author (foreign key): 3 at line 3; Post.category (foreign key): 3 at line 4; "
        "Post.comments (reverse foreign key): 3 at line 5; Comment.user (foreign key): 6 at "
        "line 6. Fetch them with the queryset instead:"
    )


def test_the_threshold_decides_what_is_an_n_plus_one():
    trace = part1_loop(posts=2, comments=1)  # two posts: 2 queries per relation, 2 users
    assert findings_of(trace, threshold=3) == []
    (finding,) = findings_of(trace, threshold=2)
    assert finding.kind == "n_plus_one"


LAZY_CASES = [
    pytest.param(
        "bool",
        "if posts:",
        "medium",
        "Line 3: `if posts:` loads every matching row of blog_post to test whether there is "
        "one: use .exists() when the rows are not used afterwards (if they are, this one query "
        "also loads them, which is fine).",
        "if posts.exists():",
        id="if_posts",
    ),
    pytest.param(
        "bool",
        "if Post.objects.filter(author=user):",
        "medium",
        "Line 3: `if Post.objects.filter(author=user):` loads every matching row of blog_post "
        "and throws them away: ask the database with .exists() instead.",
        "if Post.objects.filter(author=user).exists():",
        id="existence_by_loading_rows",
    ),
    pytest.param(
        "len",
        "post_count = len(Post.objects.all())",
        "medium",
        "Line 3: `post_count = len(Post.objects.all())` loads every row of blog_post only to "
        "count them: ask the database with .count() instead.",
        "post_count = Post.objects.count()",
        id="len_of_all",
    ),
    pytest.param(
        "count",
        "if Post.objects.filter(author=user).count() > 0:",
        "low",
        "Line 3: `if Post.objects.filter(author=user).count() > 0:` counts every matching row "
        "only to test whether there is one: .exists() stops at the first.",
        "if Post.objects.filter(author=user).exists():",
        id="count_for_existence",
    ),
    pytest.param(
        "repr",
        "Post.objects.all()",
        "info",
        "Line 3: displaying a QuerySet ran it with LIMIT 21 (the notebook shows at most 20 "
        "rows); those rows are not kept, so using the queryset afterwards queries again.",
        None,
        id="notebook_repr",
    ),
]


@pytest.mark.parametrize(("trigger", "text", "severity", "message", "suggestion"), LAZY_CASES)
def test_lazy_evaluations_name_the_line_and_the_better_call(
    trigger, text, severity, message, suggestion
):
    sql = POSTS + " LIMIT 21" if trigger == "repr" else POSTS
    trace = Trace().add(sql, line=3, trigger=trigger, model="blog.Post", text=text)
    (finding,) = findings_of(trace)
    assert (finding.kind, finding.severity, finding.line) == (trigger, severity, 3)
    assert finding.message == message
    assert finding.suggestion == suggestion
    assert finding.record_ids == (0,)


@pytest.mark.parametrize(
    ("trigger", "sql", "text"),
    [
        ("bool", POSTS + " LIMIT 1", "if posts[:1]:"),  # loads one row at most
        ("count", COUNT_POSTS, "post_count = Post.objects.filter(author=user).count()"),
        ("iteration", POSTS, "for post in posts:"),
        ("exists", POSTS + " LIMIT 1", "if posts.exists():"),
    ],
)
def test_the_good_calls_are_not_findings(trigger, sql, text):
    trace = Trace().add(sql, (1,), line=3, trigger=trigger, model="blog.Post", text=text)
    assert findings_of(trace) == []


def dashboard(texts: dict[int, str]) -> Trace:
    trace = Trace().add(USER_BY_ID, (7,), line=2, trigger="get", model="auth.User")
    trace.add(COUNT_POSTS, (7,), line=3, trigger="count", model="blog.Post", text=texts[3])
    trace.add(COUNT_PUBLISHED, (7,), line=4, trigger="count", model="blog.Post", text=texts[4])
    trace.add(VIEW_COUNTS, (7,), line=5, trigger="iteration", model="blog.Post", text=texts[5])
    return trace


DASHBOARD = {
    3: "total_posts = Post.objects.filter(author=user).count()",
    4: "published_posts = Post.objects.filter(author=user, published=True).count()",
    5: "total_views = sum(Post.objects.filter(author=user).values_list('view_count', flat=True))",
}


def test_separate_totals_become_one_aggregate():
    (finding,) = findings_of(dashboard(DASHBOARD))
    assert (finding.kind, finding.severity, finding.record_ids) == ("aggregates", "low", (1, 2, 3))
    assert finding.message.startswith(
        "3 queries compute totals over blog.Post one at a time (line 3, line 4, line 5)"
    )
    assert finding.suggestion == (
        "Post.objects.filter(author=user).aggregate(total_posts=Count('pk'), "
        "published_posts=Count('pk', filter=Q(published=True)), total_views=Sum('view_count'))"
    )
    assert finding.notes == ("Sum() gives None, not 0, when no row matches: add `or 0`.",)


def test_totals_whose_lines_do_not_parse_get_advice_without_code():
    (finding,) = findings_of(dashboard({**DASHBOARD, 4: "published_posts = helper(user)"}))
    assert finding.kind == "aggregates" and finding.suggestion is None


def test_a_plain_loop_over_values_is_not_a_total():
    texts = {**DASHBOARD, 5: "for views in Post.objects.values_list('view_count', flat=True):"}
    (finding,) = findings_of(dashboard(texts))
    assert finding.record_ids == (1, 2)


def test_repeats_inside_an_n_plus_one_are_not_reported_twice():
    trace = Trace().add(
        POSTS,
        line=2,
        trigger="iteration",
        model="blog.Post",
        text="for post in Post.objects.all():",
    )
    for author in (1, 1, 2, 2):  # two posts by each author: the same user query twice
        trace.add(
            USER_BY_ID,
            (author,),
            line=3,
            trigger="related",
            model="auth.User",
            relation=POST_AUTHOR,
        )
    assert [f.kind for f in findings_of(trace)] == ["n_plus_one"]


def test_duplicates_and_similar_queries_outside_loops():
    trace = Trace()
    for line, pk in ((2, 1), (3, 1), (4, 2), (5, 3)):
        trace.add(POST_BY_ID, (pk,), line=line, trigger="get", model="blog.Post")
    found = findings_of(trace)
    assert [(f.kind, f.record_ids) for f in found] == [
        ("similar", (0, 1, 2, 3)),
        ("duplicate", (0, 1)),
    ]
    assert found[1].message == (
        "2 identical queries (same SQL and params) from line 2, line 3: run each once and keep "
        "the result."
    )
    assert "one query with __in (or in_bulk())" in found[0].message


def test_repeats_of_one_shape_are_one_finding():
    trace = Trace()
    for pk in (1, 2, 1, 2, 1):  # a loop of two, below the threshold, run again
        trace.add(POST_BY_ID, (pk,), line=3, trigger="get", model="blog.Post")
    (finding,) = findings_of(trace, threshold=6)
    assert (finding.kind, finding.record_ids) == ("duplicate", (0, 1, 2, 3, 4))
    assert finding.message == (
        "5 queries where 2 would do (the same SQL and params again) from line 3: run each once "
        "and keep the result."
    )


def test_repeated_writes_are_neither_duplicates_nor_similar_reads():
    trace = Trace()
    for line in (2, 3, 4, 5):
        trace.add(INSERT_TAG, ("a", "a") if line < 4 else (str(line), str(line)), line=line)
    assert findings_of(trace) == []


def test_a_few_gets_on_distinct_objects_are_no_finding():
    trace = Trace()
    for pk in (1, 2):
        trace.add(POST_BY_ID, (pk,), line=3, trigger="get", model="blog.Post")
    assert findings_of(trace) == []


@pytest.mark.parametrize(
    ("sql", "relation", "suggestion", "advice"),
    [
        (
            USER_BY_ID,
            POST_AUTHOR,
            ".select_related('author')",
            "Line 3 sends 4 SELECT queries of one shape, each with its own params: it loads "
            "Post.author (foreign key) one object at a time. Add .select_related('author') to "
            "the queryset that loads these Post objects.",
        ),
        (
            INSERT_TAG,
            None,
            None,
            "Line 3 sends 4 INSERT queries of one shape, each with its own params: one row at a "
            "time. Use bulk_create() instead.",
        ),
        (
            POST_BY_ID,
            None,
            None,
            "Line 3 sends 4 SELECT queries of one shape, each with its own params: the same "
            "query once per value. Fetch them in one query (filter(<field>__in=...), in_bulk()) "
            "and look them up in a dict.",
        ),
    ],
)
def test_an_n_plus_one_without_a_root_still_says_what_to_do(sql, relation, suggestion, advice):
    trace = Trace()
    for pk in range(4):
        trace.add(
            sql, (pk, pk), line=3, trigger="related" if relation else None, relation=relation
        )
    (finding,) = findings_of(trace)
    assert finding.kind == "n_plus_one" and finding.suggestion == suggestion
    assert finding.message == advice


def test_sort_findings_is_worst_first_then_biggest():
    def make(severity: str, ids: tuple[int, ...]) -> Finding:
        return Finding("duplicate", severity, severity, ids)

    found = sort_findings(
        [
            make("info", (1,)),
            make("low", (5,)),
            make("low", (2, 3)),
            make("high", (9,)),
            make("medium", (0,)),
        ]
    )
    assert [(f.severity, f.record_ids) for f in found] == [
        ("high", (9,)),
        ("medium", (0,)),
        ("low", (2, 3)),
        ("low", (5,)),
        ("info", (1,)),
    ]


def test_a_finding_refuses_an_unknown_severity():
    with pytest.raises(ValueError, match="severity must be one of"):
        Finding("duplicate", "urgent", "x", ())


def test_places_name_the_cell_line_or_the_file():
    trace = Trace().add(POSTS, line=4).add(POSTS, line=9, file="/app/views.py")
    places = Places(cell_filename=CELL)
    assert [places.where(r) for r in trace.records] == ["line 4", "views.py:9"]
    assert Places().where(Trace().add(POSTS).records[0]) == "an unknown line"


@pytest.mark.parametrize(
    ("trigger", "executions", "expected"),
    [
        # Sync ORM calls inside a coroutine: one finding per line, naming the async twin.
        ("count", ["sync_in_async", "sync_in_async"], [(2, "await ….acount()")]),
        ("iteration", ["sync_in_async"], [(1, "async for … in …")]),
        ("related", ["sync_in_async"], [(1, "sync_to_async()")]),
        # Awaited through the async ORM, or plain sync code: nothing to say.
        ("aget", ["async", "async"], []),
        ("count", [None, None], []),
    ],
)
def test_sync_orm_calls_inside_a_coroutine_are_a_finding(trigger, executions, expected):
    from dataclasses import replace

    trace = Trace()
    for pk, _ in enumerate(executions):
        trace.add(POST_BY_ID, (pk,), line=4, trigger=trigger)
    records = [
        replace(r, execution=execution)
        for r, execution in zip(trace.records, executions, strict=True)
    ]
    found = [f for f in analyze(records, cell_filename=CELL).findings if f.kind == "sync_in_async"]
    assert [len(f.record_ids) for f in found] == [count for count, _ in expected]
    for finding, (_, hint) in zip(found, expected, strict=True):
        assert hint in finding.message
    for finding in found:
        assert finding.severity == "high" and finding.line == 4
        assert "SynchronousOnlyOperation" in finding.message
