"""select_related() / prefetch_related() lookups the block never reads get a low finding with
the call to drop; lookups it reads get none; no Django class stays hooked after a block."""

from __future__ import annotations

import pytest
from django.db.models import Prefetch
from django.db.models.query import QuerySet
from django.template import Context, Template

import kit
from kit.analysis.unused_loads import without_lookups
from kit.capture.eager import eager_hooks_installed
from sample_app.blog.models import Comment, Post
from tests.warehouse.data import build
from tests.warehouse.models import Product

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def unused(p):
    return [f for f in p.findings if f.kind == "unused_eager_load"]


def test_a_join_and_a_prefetch_never_read_are_each_a_low_finding():
    with kit.profile() as p:
        posts = Post.objects.select_related("author", "category").prefetch_related("tags")[:5]
        names = [post.author.username for post in posts]
    assert len(names) == 5
    joined, prefetched = sorted(unused(p), key=lambda f: f.message)[::-1]
    assert {f.severity for f in (joined, prefetched)} == {"low"}
    assert "select_related('category')" in joined.message
    assert "never reads post.category" in joined.message
    assert joined.suggestion == (
        'posts = Post.objects.select_related("author").prefetch_related("tags")[:5]'
    )
    assert "prefetch_related('tags') runs 1 more query" in prefetched.message
    assert prefetched.suggestion == 'posts = Post.objects.select_related("author", "category")[:5]'
    (prefetch_query,) = prefetched.record_ids
    assert "blog_tag" in p.queries[prefetch_query].sql


def test_lookups_that_are_read_are_no_finding():
    template = Template(
        "{% for p in posts %}{{ p.author.username }} {{ p.category.name }}"
        "{% for c in p.comments.all %}{{ c.user.username }}{% endfor %}{% endfor %}"
    )
    with kit.profile() as p:
        posts = Post.objects.select_related("author", "category").prefetch_related(
            Prefetch("comments", queryset=Comment.objects.select_related("user"))
        )[:10]
        template.render(Context({"posts": posts}))
    assert p.query_count == 2 and p.findings == []


def test_a_nested_prefetch_queryset_join_never_read_is_found():
    with kit.profile() as p:
        posts = Post.objects.prefetch_related(
            Prefetch("comments", queryset=Comment.objects.select_related("user"))
        )[:10]
        texts = [c.text for post in posts for c in post.comments.all()]
    assert texts
    (finding,) = unused(p)
    assert "select_related('user')" in finding.message and "Comment rows" in finding.message


def test_warehouse_chains_name_the_first_step_never_read():
    build(products=6)
    with kit.profile() as p:
        rows = [
            (item.zone.name if item.zone else "", item.spec.weight_grams)
            for item in Product.objects.select_related("zone__parent_zone", "vendor", "spec")
        ]
    assert rows
    (finding,) = unused(p)
    # zone was read, its parent never; vendor never: both to drop, spec kept.
    assert "select_related('zone__parent_zone', 'vendor')" in finding.message
    assert "spec" not in finding.message.partition("never reads")[2]


def test_no_finding_without_rows_or_with_eager_tracking_off():
    with kit.profile() as empty:
        list(Post.objects.select_related("author").filter(pk=-1))
    with kit.profile(eager=False) as off:
        list(Post.objects.select_related("author")[:3])
    assert unused(empty) == [] and unused(off) == [] and off.unused_eager_loads == []


def test_hooks_are_on_only_inside_blocks_and_come_off_on_error():
    original = QuerySet.__dict__["_fetch_all"]
    with kit.profile(), kit.profile():
        assert "QuerySet._fetch_all" in eager_hooks_installed()
    assert eager_hooks_installed() == [] and QuerySet.__dict__["_fetch_all"] is original
    with pytest.raises(ZeroDivisionError), kit.profile():
        1 / 0  # noqa: B018
    assert eager_hooks_installed() == []


@pytest.mark.parametrize(
    ("line", "kind", "drop", "rewritten"),
    [
        ("qs = Post.objects.select_related('a', 'b')", "select_related", ["b"],
         "qs = Post.objects.select_related('a')"),
        ("qs = Post.objects.select_related('a').all()", "select_related", ["a"],
         "qs = Post.objects.all()"),
        ('Post.objects.prefetch_related("x__y", "z")', "prefetch_related", ["x__y"],
         'Post.objects.prefetch_related("z")'),
        ("Post.objects.prefetch_related(Prefetch('x'))", "prefetch_related", ["x"], None),
        ("Post.objects.select_related(name)", "select_related", ["a"], None),
    ],
)  # fmt: skip
def test_without_lookups(line, kind, drop, rewritten):
    assert without_lookups(line, kind, drop) == rewritten


def test_rows_kept_for_later_are_no_finding():
    """`posts = list(qs)` or a get(): the rows outlive the block, which cannot see their reads."""
    with kit.profile() as p:
        kept = list(Post.objects.select_related("author", "category")[:5])
        one = Post.objects.select_related("author").get(pk=kept[0].pk)
    assert one.pk == kept[0].pk
    assert len(p.unused_eager_loads) == 3 and unused(p) == []


def test_a_descriptor_wears_its_own_class_again_once_read():
    """After its first read a related descriptor costs nothing more: Django's own __get__."""
    from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

    author, category = Post.__dict__["author"], Post.__dict__["category"]
    with kit.profile():
        assert type(author) is not ForwardManyToOneDescriptor
        assert isinstance(author, ForwardManyToOneDescriptor)
        assert (type(author).__module__, type(author).__qualname__) == (
            ForwardManyToOneDescriptor.__module__,
            ForwardManyToOneDescriptor.__qualname__,
        )
        Post.objects.select_related("author").first().author  # noqa: B018
        assert type(author) is ForwardManyToOneDescriptor
        assert type(category) is not ForwardManyToOneDescriptor  # not read yet
        assert "Post.category" in eager_hooks_installed()
    assert type(category) is ForwardManyToOneDescriptor
    assert eager_hooks_installed() == []


def test_a_generic_foreign_key_reads_as_its_own_class_inside_a_block():
    """Django 5.1+ makes GenericForeignKey a Field: its deconstruct() (what migrations write)
    names the class by module and qualified name, which the tracking class keeps."""
    from django.contrib.contenttypes.fields import GenericForeignKey

    from tests.warehouse.models import Remark

    field = Remark.__dict__["target"]

    def seen() -> tuple[object, ...]:
        named = (type(field).__module__, type(field).__qualname__)
        return (*named, field.deconstruct() if hasattr(field, "deconstruct") else None)

    before = seen()
    with kit.profile():
        assert type(field) is not GenericForeignKey and isinstance(field, GenericForeignKey)
        inside = seen()
    assert inside == before and type(field) is GenericForeignKey


def test_a_descriptor_that_was_not_watched_is_never_judged(monkeypatch):
    """A model made during the block (its descriptors never wore the tracking class): its
    lookups are not reported, as its reads were not seen."""
    from kit.capture import eager

    category = Post.__dict__["category"]
    with kit.profile() as p:
        # As if the descriptor had come after the block began.
        type(category).__get__(category, None, Post)  # a class read: not a use
        category.__class__ = type(category).__dict__["_kit_original_class"]
        eager._watched.pop(id(category))
        names = [post.title for post in Post.objects.select_related("author", "category")[:3]]
    assert names
    (finding,) = unused(p)
    assert "select_related('author')" in finding.message
    assert "category" not in finding.message.partition("never reads")[2]


def test_a_django_whose_fetch_all_differs_gets_the_wrapper(monkeypatch):
    """The replacement copies Django's _fetch_all: on a Django whose source differs, the
    original is wrapped, and unused lookups are still found."""
    from kit.capture import eager

    monkeypatch.setattr(eager, "_same_fetch_all", lambda original: False)
    with kit.profile() as p:
        assert QuerySet.__dict__["_fetch_all"] is not eager._fetch_all
        posts = Post.objects.select_related("author", "category")[:3]
        names = [post.author.username for post in posts]
    assert names
    (finding,) = unused(p)
    assert "select_related('category')" in finding.message
    monkeypatch.undo()
    with kit.profile():
        assert QuerySet.__dict__["_fetch_all"] is eager._fetch_all
