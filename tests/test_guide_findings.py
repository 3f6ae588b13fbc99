"""The guide's Parts 1 and 2 and both "Performance impact" examples on the real sample app:
each antipattern gets its finding, and the suggested code, applied, removes the queries."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, Sum

import kit
from kit.analysis.findings import Finding
from sample_app import workloads
from sample_app.blog.models import Comment, Post, PostTag

pytestmark = pytest.mark.django_db


def line_of(function: object, text: str) -> int:
    """The file line number of the first line of function containing text."""
    lines, start = inspect.getsourcelines(function)  # type: ignore[arg-type]
    (offset,) = [i for i, line in enumerate(lines) if text in line][:1]
    return start + offset


def calls(code: str) -> dict[str, set[str]]:
    """{method: its arguments as source text} of a queryset chain, order ignored."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(code, mode="eval")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found[node.func.attr] = {
                str(a.value) if isinstance(a, ast.Constant) else ast.unparse(a) for a in node.args
            }
    return found


def only(findings: Iterable[Finding]) -> Finding:
    (finding,) = findings
    return finding


def part1_body(posts: Iterable[Post]) -> list[str]:
    out = []
    for post in posts:
        out.append(post.author.username)
        out.append(post.category.name)
        for comment in post.comments.all():
            out.append(comment.user.username)
    return out


def test_part1_terrible_loop_gets_the_guides_fix_which_leaves_three_queries():
    with kit.profile() as before:
        expected = workloads.n_plus_one_loop()
    posts, comments = Post.objects.count(), Comment.objects.count()
    assert before.query_count == 1 + posts + posts + posts + comments  # 1+N+N+N+N*M
    finding = only(before.findings)
    assert (finding.kind, finding.severity) == ("n_plus_one", "high")
    # Prefetch with select_related: 3 queries at any size (comments__user's IN list of every
    # user crashes SQLite from 999 of them).
    assert finding.suggestion == (
        "Post.objects.select_related('author', 'category')"
        ".prefetch_related(Prefetch('comments', queryset=Comment.objects.select_related('user')))"
    )
    assert f"workloads.py:{line_of(workloads.n_plus_one_loop, 'for post in')}" in finding.message
    assert finding.record_ids == tuple(q.id for q in before.queries[1:])

    names = {"Post": Post, "Comment": Comment, "Prefetch": Prefetch}
    fixed_queryset = eval(finding.suggestion, names)
    with kit.profile() as after:
        result = part1_body(fixed_queryset)
    assert after.query_count <= 3
    assert sorted(result) == sorted(expected)


def test_part1_n_plus_one_groups_carry_their_relations():
    with kit.profile() as p:
        workloads.n_plus_one_loop()
    assert [(str(g.relation), g.relation.kind, g.trigger) for g in p.n_plus_one] == [
        ("blog.Post.author", "forward", "related"),
        ("blog.Post.category", "forward", "related"),
        ("blog.Post.comments", "reverse_fk", "iteration"),
        ("blog.Comment.user", "forward", "related"),
    ]


def test_part1_optimized_loop_is_no_finding():
    with kit.profile() as p:
        workloads.optimized_loop()
    assert p.query_count == 3
    assert p.findings == []


def test_advanced_prefetch_with_to_attr_is_two_queries_and_no_finding():
    with kit.profile() as p:
        result = workloads.advanced_prefetch_loop()
    assert p.query_count == 2
    assert p.findings == []
    assert result == workloads.latest_comments_loop()


def test_the_lazy_version_of_advanced_prefetch_gets_a_prefetch_object_that_works():
    with kit.profile() as before:
        expected = workloads.latest_comments_loop()
    finding = only(before.findings)
    assert finding.suggestion == (
        "Post.objects.prefetch_related(Prefetch('comments', queryset=Comment.objects"
        ".select_related('user').filter(is_approved=True).order_by(\"-created_at\")[:5], "
        "to_attr='prefetched_comments'))"
    )
    assert finding.notes[0].startswith("use post.prefetched_comments instead of post.comments")
    assert finding.notes[-1] == "from django.db.models import Prefetch"

    posts = eval(finding.suggestion, {"Post": Post, "Comment": Comment, "Prefetch": Prefetch})
    with kit.profile() as after:
        result = [
            f"{comment.user.username}: {comment.text}"
            for post in posts
            for comment in post.prefetched_comments
        ]
    assert after.query_count <= 2
    assert result == expected


@pytest.mark.parametrize(
    ("run", "kind", "line_text", "suggestion"),
    [
        pytest.param(
            lambda user: workloads.posts_exist_terrible(),
            "bool",
            "if posts:",
            "if posts.exists():",
            id="if_posts",
        ),
        pytest.param(
            lambda user: workloads.post_count_terrible(),
            "len",
            "post_count = len(Post.objects.all())",
            "post_count = Post.objects.count()",
            id="len_of_all",
        ),
        pytest.param(
            workloads.user_has_posts_terrible,
            "bool",
            "if Post.objects.filter(author=user):",
            "if Post.objects.filter(author=user).exists():",
            id="existence_by_loading_rows",
        ),
    ],
)
def test_part2_antipatterns_name_the_line_and_the_better_call(run, kind, line_text, suggestion):
    user = User.objects.filter(posts__isnull=False).first()
    with kit.profile() as p:
        run(user)
    finding = only(p.findings)
    assert (finding.kind, finding.severity) == (kind, "medium")
    function = {
        "if posts:": workloads.posts_exist_terrible,
        "post_count = len(Post.objects.all())": workloads.post_count_terrible,
    }.get(line_text, workloads.user_has_posts_terrible)
    assert finding.message.startswith(
        f"workloads.py:{line_of(function, line_text)}: `{line_text}` loads every"
    )
    assert finding.suggestion == suggestion
    # The better call gives the same answer in one cheap query.
    namespace = {"Post": Post, "user": user, "posts": Post.objects.all()}
    better = finding.suggestion.removeprefix("if ").removesuffix(":")
    value = eval(better.partition(" = ")[2] or better, namespace)
    said = run(user)
    assert value == (bool(said) if isinstance(said, list) else said)


def test_part2_optimized_calls_are_no_finding():
    user = User.objects.filter(posts__isnull=False).first()
    with kit.profile() as p:
        workloads.lazy_loading_optimized(user)
    assert [q.trigger for q in p.queries] == ["exists", "count", "first", "last", "iteration"]
    assert p.findings == []


def example1_after(posts: Iterable[Post]) -> list[dict[str, Any]]:
    return [
        {
            "title": post.title,
            "author": post.author.username,
            "category": post.category.name,
            "comment_count": post.comments_count,
            "tags": sorted(tag.name for tag in post.tags.all()),
        }
        for post in posts
    ]


def test_performance_example1_gets_select_prefetch_and_a_count_annotation():
    with kit.profile() as before:
        expected = workloads.get_blog_posts_bad()
    posts = Post.objects.count()
    # The guide says 1 + N + N + N + 5N; the tags cost one query per post, not per tag.
    assert before.query_count == 1 + 4 * posts
    assert PostTag.objects.count() > posts
    finding = only(before.findings)
    assert finding.kind == "n_plus_one"
    assert finding.suggestion == (
        "posts.select_related('author', 'category').prefetch_related('tags')"
        ".annotate(comments_count=Count('comments'))"
    )
    assert finding.notes == (
        "read post.comments_count instead of post.comments.count()",
        "from django.db.models import Count",
    )

    fixed = eval(finding.suggestion, {"posts": Post.objects.all(), "Count": Count})
    with kit.profile() as after:
        result = example1_after(fixed)
    assert after.query_count <= 2
    for row in expected:
        row["tags"] = sorted(row["tags"])
    assert sorted(result, key=lambda r: r["title"]) == sorted(expected, key=lambda r: r["title"])


def test_performance_example2_gets_one_aggregate_with_the_same_numbers():
    user = User.objects.filter(posts__isnull=False).first()
    with kit.profile() as before:
        expected = workloads.user_dashboard_bad(user.id)
    assert before.query_count == 4  # the recent comments are never evaluated
    finding = only(before.findings)
    assert (finding.kind, finding.severity) == ("aggregates", "low")
    assert finding.suggestion == (
        "Post.objects.filter(author=user).aggregate(total_posts=Count('pk'), "
        "published_posts=Count('pk', filter=Q(published=True)), total_views=Sum('view_count'))"
    )
    namespace = {"Post": Post, "user": user, "Count": Count, "Q": Q, "Sum": Sum}
    with kit.profile() as after:
        totals = eval(finding.suggestion, namespace)
    assert after.query_count == 1
    assert totals == {k: expected[k] for k in ("total_posts", "published_posts", "total_views")}


def test_performance_example2_after_is_one_query_and_no_finding():
    user = User.objects.filter(posts__isnull=False).first()
    with kit.profile() as p:
        good = workloads.user_dashboard_good(user.id)
    assert p.query_count == 1
    assert p.findings == []
    bad = workloads.user_dashboard_bad(user.id)
    assert (good["total_posts"], good["published_posts"], good["total_views"]) == (
        bad["total_posts"],
        bad["published_posts"],
        bad["total_views"],
    )


def fetch(pks: list[int]) -> list[str]:
    return [Post.objects.get(pk=pk).title for pk in pks]


def test_a_few_gets_below_the_threshold_are_no_finding_but_a_loop_of_them_is():
    pks = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:3])
    with kit.profile() as two:
        fetch(pks[:2])
    assert two.findings == []
    with kit.profile() as three:
        fetch(pks)
    finding = only(three.findings)
    assert finding.kind == "n_plus_one" and finding.suggestion is None
    assert "Fetch them in one query (filter(<field>__in=...), in_bulk())" in finding.message
