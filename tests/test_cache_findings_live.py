"""The cache findings on real captures: the guide's invalidation through views, a fragment and a
page whose keys change per visitor, a miss never stored."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import override_settings

import kit
from sample_app.blog.models import Post
from tests.cache_urls import category_posts
from tests.caches import LOCMEM, settings_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.cache_urls")]


@pytest.fixture(autouse=True)
def own_cache():
    with override_settings(CACHES={"default": settings_for(LOCMEM)}):
        yield


def invalidate_post_caches(sender, instance, **kwargs):
    """The guide's receiver: the popular list and the post's (new) category."""
    cache.delete_many(["popular_posts_v2", f"category_posts_{instance.category_id}"])


def test_the_guides_invalidation_leaves_the_page_the_fragment_and_the_old_category_stale():
    client = Client()
    post = Post.objects.order_by("-view_count", "pk").first()
    old_category = post.category_id
    post_save.connect(invalidate_post_caches, sender=Post)
    try:
        with kit.profile() as p:
            client.get("/popular/")
            client.get("/fragment/?stamp=a")
            category_posts(old_category)
            post.category_id = old_category % 5 + 1
            post.title = "Moved and renamed"
            post.save()
            popular = client.get("/popular/")
            client.get("/fragment/?stamp=a")
            titles = category_posts(old_category)
    finally:
        post_save.disconnect(invalidate_post_caches, sender=Post)
    assert "Moved and renamed" not in popular.content.decode()  # served stale, as found
    assert post.title not in titles
    (stale,) = [f for f in p.findings if f.kind == "cache_stale"]
    assert stale.message.startswith("Stale cache reads: after the UPDATE of blog_post at ")
    stale_keys = {p.cache_calls[i].keys[0] for i in stale.cache_call_ids}
    assert f"category_posts_{old_category}" in stale_keys
    assert any(k.startswith("views.decorators.cache.cache_page.") for k in stale_keys)
    assert any(k.startswith("template.cache.top_posts.") for k in stale_keys)
    assert f"deleted 'popular_posts_v2', 'category_posts_{post.category_id}', not these." in (
        stale.message
    )
    (update,) = [q for q in p.queries if q.sql.startswith("UPDATE")]
    assert stale.record_ids == (update.id,)


def test_a_page_and_a_fragment_that_vary_per_visitor_never_hit():
    client = Client()
    with kit.profile() as p:
        for visitor in ("ann", "bob", "cyd"):
            client.cookies["visitor"] = visitor
            client.get("/per-visitor/")
            client.get("/fragment/")
    varies = sorted(
        f.message.split(" was ")[0].split(" stored ")[0]
        for f in p.findings
        if f.kind == "cache_key_varies"
    )
    assert varies == [
        "The {% cache %} fragment top_posts (<unknown source>:2)",
        "cache_page of tests.cache_urls.per_visitor",
    ]


def test_a_value_computed_on_every_miss_and_never_stored():
    def dashboard(user_id: int) -> int:
        count = cache.get(f"user_dashboard_{user_id}")
        if count is None:
            count = Post.objects.filter(author_id=user_id).count()  # and no cache.set()
        return count

    with kit.profile() as p:
        for _ in range(3):
            dashboard(1)
    (finding,) = [f for f in p.findings if f.kind == "cache_miss_query"]
    assert finding.record_ids == tuple(q.id for q in p.queries)
    assert finding.suggestion == "cache.set('user_dashboard_1', value, timeout)"
    # The same with the set: no cache finding at all.
    with kit.profile() as fixed:
        for _ in range(3):
            if cache.get("user_dashboard_2") is None:
                cache.set("user_dashboard_2", Post.objects.filter(author_id=2).count())
    assert [f.kind for f in fixed.findings if f.kind.startswith("cache")] == []
