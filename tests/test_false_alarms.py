"""No finding where the code is already right: rows loaded once and used, a template's
{% for %}, prefetches per iterator() chunk, a few get() calls below the threshold."""

from __future__ import annotations

import pytest
from django.template import Context, Template

import kit
from sample_app.blog.models import Post
from tests.warehouse.data import build
from tests.warehouse.models import Product

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def kinds(p):
    return [f.kind for f in p.findings]


def test_len_then_a_loop_over_the_same_queryset_is_no_finding():
    with kit.profile() as p:
        posts = Post.objects.filter(published=True)[:30]
        size = len(posts)
        titles = [post.title for post in posts]
    assert size == len(titles) and p.query_count == 1
    assert kinds(p) == []


def test_if_then_a_loop_over_the_same_queryset_is_no_finding():
    with kit.profile() as p:
        posts = Post.objects.filter(published=True)
        if posts:
            for post in posts:
                post.title.upper()
    assert p.query_count == 1 and kinds(p) == []


def test_len_alone_is_still_a_finding():
    with kit.profile() as p:
        posts = Post.objects.filter(published=True)
        size = len(posts)
    assert size and kinds(p) == ["len"]


def test_a_template_for_loop_is_no_len_finding():
    template = Template("{% for p in posts %}{{ p.title }}{% endfor %}")
    with kit.profile() as p:
        template.render(Context({"posts": Post.objects.filter(published=True)[:20]}))
    assert p.query_count == 1 and kinds(p) == []


def test_a_prefetch_per_iterator_chunk_is_no_n_plus_one():
    build(products=12)
    with kit.profile() as p:
        labels = [
            len(product.labels.all())
            for product in Product.objects.prefetch_related("labels").iterator(chunk_size=3)
        ]
    assert len(labels) == 12 and p.query_count > 3  # one prefetch per chunk of 3
    assert p.n_plus_one == [] and kinds(p) == []


def test_a_few_gets_below_the_threshold_are_no_finding():
    """Two lines, two gets from the loop: below the threshold (3) both ways."""
    pks = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:3])
    with kit.profile() as p:
        first = Post.objects.get(pk=pks[0])
        others = [Post.objects.get(pk=pk) for pk in pks[1:]]
    assert first not in others and p.query_count == 3
    assert kinds(p) == []
