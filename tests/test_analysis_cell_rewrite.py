"""kit.analysis.cell_rewrite, replay_plan and verification: pure, no database."""

from __future__ import annotations

import ast

import pytest

from kit.analysis.cell_rewrite import (
    RewriteError,
    RootRewrite,
    rewrite_cell,
    same_line_diff,
    unsafe_code,
)
from kit.analysis.findings import Finding
from kit.analysis.fixes import QuerysetFix
from kit.analysis.replay_plan import finding_of, plan_replays, reads_of
from kit.analysis.verification import (
    CellOutput,
    Verification,
    describe,
    first_difference,
    summary,
)
from kit.capture.records import QueryRecord
from tests.records import POSTS

CELL = """
posts = []
for post in Post.objects.all():
    posts.append(post.author.username)
len(posts)
"""


def test_the_root_queryset_is_replaced_on_its_line_and_keeps_it():
    tree = ast.parse(CELL)
    fixed = rewrite_cell(
        tree, [RootRewrite(3, "Post.objects.all()", "Post.objects.select_related('author')")]
    )
    assert "for post in Post.objects.select_related('author'):" in ast.unparse(fixed)
    loop = fixed.body[1]
    assert isinstance(loop, ast.For) and loop.iter.lineno == 3
    assert "Post.objects.all()" in ast.unparse(tree)  # the original tree is left alone
    compile(fixed, "<cell>", "exec")


def test_a_name_bound_earlier_is_rewritten_where_it_is_iterated():
    cell = "\nposts = Post.objects.filter(published=True)\nfor p in posts:\n    print(p.author)\n"
    fixed = rewrite_cell(
        ast.parse(cell), [RootRewrite(3, "posts", "posts.select_related('author')")]
    )
    assert "for p in posts.select_related('author'):" in ast.unparse(fixed)
    assert "posts = Post.objects.filter(published=True)" in ast.unparse(fixed)


@pytest.mark.parametrize(
    ("rewrite", "message"),
    [
        (RootRewrite(2, "Post.objects.all()", "x"), "not written on line 2"),
        (RootRewrite(3, "Tag.objects.all()", "x"), "`Tag.objects.all()` is not written on line 3"),
        (RootRewrite(3, "Post.objects.all()", "Post.objects.("), "fix `Post.objects.(`"),
        (RootRewrite(3, "for x in", "x"), "is not a Python expression"),
    ],
)
def test_a_fix_that_cannot_go_in_the_cell_says_why(rewrite, message):
    with pytest.raises(RewriteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rewrite_cell(ast.parse(CELL), [rewrite])


def test_two_fixes_apply_together():
    cell = "\nfor p in Post.objects.all():\n    p.author\n"
    cell += "for c in Comment.objects.all():\n    c.user\n"
    fixed = ast.unparse(
        rewrite_cell(
            ast.parse(cell),
            [
                RootRewrite(2, "Post.objects.all()", "Post.objects.select_related('author')"),
                RootRewrite(4, "Comment.objects.all()", "Comment.objects.select_related('user')"),
            ],
        )
    )
    assert "select_related('author')" in fixed and "select_related('user')" in fixed


def test_a_source_line_before_and_after():
    assert same_line_diff(
        "    queryset = Post.objects.all()\n",
        "Post.objects.all()",
        "Post.objects.select_related('a')",
    ) == ("    queryset = Post.objects.all()", "    queryset = Post.objects.select_related('a')")
    assert same_line_diff("return qs", "Post.objects.all()", "x") is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("for p in Post.objects.all():\n    p.author", None),
        ("transaction.commit()", "it commits"),
        ("import sqlite3\nsqlite3.connect('x.db').execute('delete from t')", "second connection"),
        ("threading.Thread(target=f).start()", "thread"),
        ("with transaction.atomic(durable=True):\n    pass", "durable"),
        ("with transaction.atomic(durable=False):\n    pass", None),
        ("with transaction.atomic():\n    pass", None),
    ],
)
def test_code_whose_effects_cannot_be_rolled_back(code, reason):
    found = unsafe_code(ast.parse(code))
    assert (found is None) if reason is None else (reason in (found or ""))


def test_outputs_are_compared_line_by_line():
    same = CellOutput("a\nb\n", "3")
    assert first_difference(same, CellOutput("a\nb\n", "3")) is None
    assert first_difference(same, CellOutput("a\nc\n", "3")) == "printed line 2: 'b' became 'c'"
    assert first_difference(same, CellOutput("a\n", "3")) == "printed 2 lines, now 1"
    assert first_difference(same, CellOutput("a\nb\n", "2")) == "displayed line 1: '3' became '2'"


def _finding(ids: tuple[int, ...], text: str = "m") -> Finding:
    return Finding("n_plus_one", "high", text, ids, suggestion="Post.objects.select_related('a')")


def test_verifications_are_worded_as_the_reader_needs():
    finding = _finding((1, 2, 3))
    ok = Verification(finding, "c", True, 7951, 2, 1562.4, 38.0, True)
    assert describe(ok) == "verified: 7,951 -> 2 queries, 1,562 -> 38 ms, same output"
    differs = Verification(finding, "c", False, 10, 2, 5.0, 1.0, False, "the output differs (x)")
    assert describe(differs) == "not verified: the output differs (x) (10 -> 2 queries, 5 -> 1 ms)"
    skipped = Verification(finding, "c", False, 10, None, 5.0, None, False, "no line")
    assert describe(skipped) == "could not apply: no line" and not skipped.applied
    assert summary([ok]) is None
    together = Verification(None, "c", True, 10, 3, 5.0, 1.0, True)
    assert (
        summary([ok, together])
        == "With all fixes, the cell would run 10 -> 3 queries, 5 -> 1 ms, same output."
    )


def make_record(id: int, line: int, source_file: str, source_lineno: int) -> QueryRecord:
    return QueryRecord(id, "default", "sqlite", POSTS, (), False, 0.0, 1.0, "MainThread",
                       source_file, source_lineno, line)  # fmt: skip


def test_each_fix_is_planned_in_the_cell_or_where_its_queryset_lives():
    root = make_record(0, line=3, source_file="<cell>", source_lineno=3)
    outside = make_record(10, line=7, source_file="/app/views.py", source_lineno=12)
    fix_in = QuerysetFix(
        0, "blog.Post", "Post.objects.all()", select_related=("author",), group_ids=((1, 2),)
    )
    fix_out = QuerysetFix(
        10, "blog.Post", "Post.objects.all()", select_related=("tags",), group_ids=((11, 12),)
    )
    findings = [_finding((11, 12), "outside"), _finding((1, 2), "inside")]
    assert finding_of(fix_in, findings) is findings[1]
    text = {0: "for post in Post.objects.all():", 10: "    queryset = Post.objects.all()"}
    planned = plan_replays(
        [fix_in, fix_out], findings, [root, outside], "<cell>", lambda r: text[r.id]
    )
    assert [p.finding.message for p in planned] == ["outside", "inside"]
    assert planned[1].rewrite == RootRewrite(3, "Post.objects.all()", fix_in.code)
    assert planned[0].rewrite is None
    assert planned[0].reason.splitlines() == [
        "the root queryset is built in views.py:12, outside the cell; change it there:",
        "views.py:12",
        "- queryset = Post.objects.all()",
        "+ queryset = Post.objects.select_related('tags')",
    ]


def test_the_loops_reads_change_with_the_fix_and_its_imports_come_first():
    cell = "\nfor post in Post.objects.all():\n    print(post.comments.count())\n"
    rewrite = RootRewrite(
        2,
        "Post.objects.all()",
        "Post.objects.annotate(comments_count=Count('comments'))",
        reads_of(["read post.comments_count instead of post.comments.count()"]),
        ("Count",),
    )
    fixed = ast.unparse(rewrite_cell(ast.parse(cell), [rewrite]))
    assert fixed.splitlines() == [
        "from django.db.models import Count",
        "for post in Post.objects.annotate(comments_count=Count('comments')):",
        "    print(post.comments_count)",
    ]
    elsewhere = RootRewrite(2, "Post.objects.all()", "x", (("post.tags.count()", "post.n"),))
    with pytest.raises(RewriteError, match=r"the cell does not write `post.tags.count\(\)`"):
        rewrite_cell(ast.parse(cell), [elsewhere])


@pytest.mark.parametrize(
    ("note", "read"),
    [
        (
            "read post.comments_count instead of post.comments.count()",
            ("post.comments.count()", "post.comments_count"),
        ),
        (
            "use post.prefetched_comments instead of post.comments.filter(a=1)[:5]: a filtered, "
            "ordered or sliced related queryset is not served by prefetch_related()",
            ("post.comments.filter(a=1)[:5]", "post.prefetched_comments"),
        ),
        ("use post.prefetched_x instead of post.x...: a filtered one", None),
        (
            "comments is prefetched already, but post.comments.filter(a=1) queries again: use "
            "len(post.prefetched_comments) instead of post.comments.filter(a=1): a filtered",
            ("post.comments.filter(a=1)", "len(post.prefetched_comments)"),
        ),
        ("from django.db.models import Count", None),
    ],
)
def test_a_fixs_notes_say_what_the_loop_reads_instead(note, read):
    assert reads_of([note]) == ((read,) if read else ())


@pytest.mark.parametrize(
    ("after", "difference", "error", "verified", "same", "reason"),
    [
        ((3, 1.0), None, None, True, True, ""),
        ((3, 1.0), "printed line 1: 'a' became 'b'", None, False, False, "the output differs"),
        ((10, 1.0), None, None, False, True, "the fix did not lower the query count"),
        ((2, 1.0), None, "FieldError: bad", False, False, "the fixed code raised FieldError"),
    ],
)
def test_a_replay_is_judged_on_its_output_then_its_queries(
    after, difference, error, verified, same, reason
):
    from kit.analysis.verification import judge

    v = judge(None, "c", (10, 5.0), after, difference, error)
    assert (v.verified, v.same_output, v.queries_after) == (verified, same, after[0])
    assert v.reason.startswith(reason) and (reason or v.reason == "")
