"""The root queryset read from whole statements, and fixes applied to it with `ast` (no DB)."""

from __future__ import annotations

import pytest

from kit.analysis.rewrite import Change, apply_change
from kit.analysis.snippets import iterated_expression
from kit.analysis.statements import (
    chain_depth,
    enclosing_method,
    loop_target,
    queryset_expression,
    related_chain,
)


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        (
            "for p in (\n    Post.objects.filter(published=True)[:30]\n):\n    p.author\n",
            line,
            "Post.objects.filter(published=True)[:30]",
        )
        for line in (1, 2, 3)
    ]
    + [
        ("x = list(p.author.username for p in Post.objects.all())", 1, "Post.objects.all()"),
        (
            "x = list(map(lambda p: p.a, Post.all_objects.filter(a=1)))",
            1,
            "Post.all_objects.filter(a=1)",
        ),
        ("x = sum(p.comments.count() for p in posts)", 1, "posts"),
        (
            "x = [\n  c.user\n  for p in Post.objects.all()\n  for c in p.comments.all()\n]",
            3,
            "Post.objects.all()",
        ),
        (
            "for i, p in enumerate(sorted(Post.objects.all(), key=f)):\n  pass",
            1,
            "Post.objects.all()",
        ),
        (
            "%%orm_profile -o p\nfor p in Post.objects.filter(\n  a=1).order_by('x'):\n  p.author",
            2,
            "Post.objects.filter(a=1).order_by('x')",
        ),
        (
            "d = {\n 'a': lambda: [p.x for p in A.objects.all()],\n"
            " 'b': lambda: [\n  q.y for q in B.objects.all()\n ],\n}",
            3,
            "B.objects.all()",
        ),
        (
            "for p in Product.available.cheap()[:5]:\n  p.vendor",
            1,
            "Product.available.cheap()[:5]",
        ),
        ("print(p.author)", 1, None),
    ],
)
def test_queryset_expression(source, line, expected):
    assert queryset_expression(source, line) == expected


def test_the_one_line_reader_skips_a_generator_argument():
    assert iterated_expression("list(p.a for p in Post.objects.all())") == "Post.objects.all()"


@pytest.mark.parametrize(
    ("expression", "change", "expected"),
    [
        (
            "Post.objects.all()",
            Change(select_related=("author",)),
            "Post.objects.select_related('author')",
        ),
        (
            "Post.objects.select_related('author')[:5]",
            Change(select_related=("author", "category")),
            "Post.objects.select_related('author').select_related('category')[:5]",
        ),
        (
            "Post.objects.select_related('author')",
            Change(select_related=("author",)),
            "Post.objects.select_related('author')",
        ),
        (
            "Post.objects.prefetch_related('comments')",
            Change(
                prefetch_objects=(
                    (
                        "comments",
                        "Prefetch('comments', queryset=C.objects.select_related('user'))",
                    ),
                )
            ),
            "Post.objects.prefetch_related("
            "Prefetch('comments', queryset=C.objects.select_related('user')))",
        ),
        (
            "P.objects.only('title')",
            Change(load_fields=("notes",)),
            "P.objects.only('title', 'notes')",
        ),
        ("P.objects.defer('notes')", Change(load_fields=("notes",)), "P.objects"),
        (
            "P.objects.raw('SELECT 1')",
            Change(select_related=("vendor",)),
            "P.objects.raw('SELECT 1').prefetch_related('vendor')",
        ),
        (
            "P.objects.filter(a=1).iterator()",
            Change(prefetch_related=("x",)),
            "P.objects.filter(a=1).prefetch_related('x').iterator()",
        ),
        ("", Change(select_related=("author",)), ".select_related('author')"),
    ],
)
def test_apply_change(expression, change, expected):
    assert apply_change(expression, change) == expected


def test_a_related_queryset_narrowed_on_the_line_before_is_found():
    source = (
        "for p in Post.objects.all():\n    r = p.comments.order_by('-id')[:2]\n"
        "    for c in r:\n        c.id\n"
    )
    assert related_chain(source, 3, "comments") == ("p", ".order_by('-id')[:2]")


def test_depth_target_and_method():
    assert chain_depth("x = z.parent and z.parent.parent.parent", 1, "parent") == 3
    assert loop_target("x = [s.n for s in S.objects.all()]", 1) == "s"
    model = (
        "class P:\n    @property\n    def n(self):\n        return 1\n"
        "    def m(self):\n        return 2\n"
    )
    assert enclosing_method(model, 4) == "P.n"
    assert enclosing_method(model, 6) == "P.m()"
