"""Reading and rewriting one line of the user's Python (pure, table-driven)."""

from __future__ import annotations

import pytest

from kit.analysis.snippets import (
    append_chain,
    displayed_expression,
    filter_keywords,
    iterated_expression,
    relation_chain,
    with_count,
    with_exists,
)

EXISTS = [
    ("if posts:", "if posts.exists():"),
    ("    if posts:  # comment", "if posts.exists():  # comment"),
    ("if Post.objects.filter(author=user):", "if Post.objects.filter(author=user).exists():"),
    ("elif qs:", "elif qs.exists():"),
    ("while pending:", "while pending.exists():"),
    ("if not posts:", "if not posts.exists():"),
    ("has_posts = bool(posts)", "has_posts = posts.exists()"),
    ("if bool(Post.objects.all()):", "if Post.objects.all().exists():"),
    ("if posts and user:", None),
    ("if len(posts) > 0:", None),
    ("print(posts)", None),
    ("for post in posts:", None),
    ("", None),
    (None, None),
    ("if (:", None),
]


@pytest.mark.parametrize(("line", "expected"), EXISTS)
def test_with_exists(line, expected):
    assert with_exists(line) == expected


COUNT = [
    ("post_count = len(Post.objects.all())", "post_count = Post.objects.count()"),
    ("n = len(qs)", "n = qs.count()"),
    (
        "n = len(Post.objects.filter(published=True))",
        "n = Post.objects.filter(published=True).count()",
    ),
    ("if len(posts):", "if posts.exists():"),
    ("if len(posts) > 0:", "if posts.exists():"),
    ("ok = len(posts) >= 1", "ok = posts.exists()"),
    ("print(f'{len(qs)} posts')", "print(f'{qs.count()} posts')"),
    ("n = qs.count()", None),
]


@pytest.mark.parametrize(("line", "expected"), COUNT)
def test_with_count(line, expected):
    assert with_count(line) == expected


ITERATED = [
    ("for post in Post.objects.all():", "Post.objects.all()"),
    ("for i, post in enumerate(posts):", "enumerate(posts)"),
    ("titles = [p.title for p in Post.objects.filter(x=1)]", "Post.objects.filter(x=1)"),
    ("rows = list(Post.objects.all()[:5])", "Post.objects.all()[:5]"),
    ("n = len(qs)", "qs"),
    ("x = 1", None),
    ("for post in posts", None),
]


@pytest.mark.parametrize(("line", "expected"), ITERATED)
def test_iterated_expression(line, expected):
    assert iterated_expression(line) == expected


def test_displayed_expression_is_a_bare_value_not_a_call_to_print():
    assert displayed_expression("Post.objects.filter(published=True)") == (
        "Post.objects.filter(published=True)"
    )
    assert displayed_expression("posts") == "posts"
    assert displayed_expression("print(posts)") is None
    assert displayed_expression("x = posts") is None


CHAINS = [
    (
        "for c in post.comments.filter(is_approved=True).order_by('-created_at')[:5]:",
        "comments",
        ("post", ".filter(is_approved=True).order_by('-created_at')[:5]"),
    ),
    (
        "n = post.comments.filter(is_approved=True).count()",
        "comments",
        ("post", ".filter(is_approved=True)"),
    ),
    ("for t in p.tags.all():", "tags", ("p", "")),
    ("x = post.comments.all()[0]", "comments", ("post", "[0]")),
    ("for t in p.tags.all():", "comments", None),
]


@pytest.mark.parametrize(("line", "field", "expected"), CHAINS)
def test_relation_chain(line, field, expected):
    assert relation_chain(line, field) == expected


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        (".filter(is_approved=True)", [("is_approved", "True")]),
        (".filter(a=1).filter(b=x, c='y')", [("a", "1"), ("b", "x"), ("c", "'y'")]),
        (".filter(Q(a=1))", None),
        (".filter(**kw)", None),
        (".order_by('x')", None),
        ("", None),
    ],
)
def test_filter_keywords(chain, expected):
    assert filter_keywords(chain) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Post.objects.all()", "Post.objects.select_related('a')"),
        ("Post.objects.filter(x=1)", "Post.objects.filter(x=1).select_related('a')"),
        ("Post.objects.all()[:10]", "Post.objects.select_related('a')[:10]"),
        ("posts[2:4]", "posts.select_related('a')[2:4]"),
        ("posts", "posts.select_related('a')"),
    ],
)
def test_append_chain_goes_before_a_final_slice(expression, expected):
    assert append_chain(expression, ".select_related('a')") == expected
