"""What evaluated each query, its queryset's model and the relation it followed (real ORM)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

import kit
from kit.capture.records import Relation
from sample_app.blog.models import Comment, Post, Profile, Tag

pytestmark = pytest.mark.django_db

POST_AUTHOR = Relation("blog.Post", "author", "forward", "auth.User")
POST_COMMENTS = Relation("blog.Post", "comments", "reverse_fk", "blog.Comment")
POST_TAGS = Relation("blog.Post", "tags", "m2m", "blog.Tag")
TAG_POSTS = Relation("blog.Tag", "posts", "m2m", "blog.Post")
PROFILE_USER = Relation("blog.Profile", "user", "one_to_one", "auth.User")
USER_PROFILE = Relation("auth.User", "profile", "reverse_one_to_one", "blog.Profile")


def objects() -> dict[str, Any]:
    """Fresh instances (no cached relations) to evaluate things on."""
    post = Post.objects.filter(comments__isnull=False, tags__isnull=False).distinct()[0]
    return {
        "post": Post.objects.get(pk=post.pk),
        "user": User.objects.get(pk=post.author_id),
        "profile": Profile.objects.get(user_id=post.author_id),
        "tag": Tag.objects.filter(posts__isnull=False)[0],
    }


def iterate(qs: Any) -> None:
    for _ in qs:
        pass


def truth(qs: Any) -> bool:
    if qs:  # noqa: SIM103 - `if qs:` is what is measured
        return True
    return False


# Each case evaluates one thing; the last query it sends must say (trigger, model, relation).
Expected = tuple[str | None, str | None, Relation | None]
CASES: list[tuple[str, Callable[[dict[str, Any]], object], Expected]] = [
    ("for_loop", lambda o: iterate(Post.objects.all()[:3]), ("iteration", "blog.Post", None)),
    ("list", lambda o: list(Post.objects.all()[:3]), ("iteration", "blog.Post", None)),
    ("sorted", lambda o: sorted(Post.objects.all()[:3], key=id), ("iteration", "blog.Post", None)),
    ("len", lambda o: len(Post.objects.all()), ("len", "blog.Post", None)),
    ("if_qs", lambda o: truth(Post.objects.all()), ("bool", "blog.Post", None)),
    ("index", lambda o: Post.objects.all()[0], ("slicing", "blog.Post", None)),
    ("count", lambda o: Post.objects.count(), ("count", "blog.Post", None)),
    ("exists", lambda o: Post.objects.filter(pk=1).exists(), ("exists", "blog.Post", None)),
    ("first", lambda o: Post.objects.first(), ("first", "blog.Post", None)),
    ("last", lambda o: Post.objects.last(), ("last", "blog.Post", None)),
    ("get", lambda o: Post.objects.get(pk=o["post"].pk), ("get", "blog.Post", None)),
    ("repr", lambda o: repr(Post.objects.all()), ("repr", "blog.Post", None)),
    (
        "explicit_filter",
        lambda o: list(Comment.objects.filter(post=o["post"])),
        ("iteration", "blog.Comment", None),
    ),
    ("forward_fk", lambda o: o["post"].author, ("related", "auth.User", POST_AUTHOR)),
    ("forward_one_to_one", lambda o: o["profile"].user, ("related", "auth.User", PROFILE_USER)),
    ("reverse_one_to_one", lambda o: o["user"].profile, ("related", "blog.Profile", USER_PROFILE)),
    (
        "reverse_fk_loop",
        lambda o: iterate(o["post"].comments.all()),
        ("iteration", "blog.Comment", POST_COMMENTS),
    ),
    (
        "reverse_fk_count",
        lambda o: o["post"].comments.count(),
        ("count", "blog.Comment", POST_COMMENTS),
    ),
    (
        "reverse_fk_index",
        lambda o: o["post"].comments.all()[0],
        ("slicing", "blog.Comment", POST_COMMENTS),
    ),
    (
        "reverse_fk_filtered",
        lambda o: list(o["post"].comments.filter(is_approved=True)),
        ("iteration", "blog.Comment", POST_COMMENTS.narrow()),
    ),
    (
        "reverse_fk_ordered",
        lambda o: list(o["post"].comments.order_by("-created_at")),
        ("iteration", "blog.Comment", POST_COMMENTS.narrow()),
    ),
    ("m2m_loop", lambda o: list(o["post"].tags.all()), ("iteration", "blog.Tag", POST_TAGS)),
    ("m2m_count", lambda o: o["post"].tags.count(), ("count", "blog.Tag", POST_TAGS)),
    ("m2m_exists", lambda o: o["post"].tags.exists(), ("exists", "blog.Tag", POST_TAGS)),
    (
        "reverse_m2m_loop",
        lambda o: list(o["tag"].posts.all()),
        ("iteration", "blog.Post", TAG_POSTS),
    ),
    (
        "prefetch_reverse_fk",
        lambda o: list(Post.objects.prefetch_related("comments")[:2]),
        ("prefetch", "blog.Comment", POST_COMMENTS),
    ),
    (
        "prefetch_m2m",
        lambda o: list(Post.objects.prefetch_related("tags")[:2]),
        ("prefetch", "blog.Tag", POST_TAGS),
    ),
    (
        "prefetch_forward",
        lambda o: list(Post.objects.prefetch_related("author")[:2]),
        ("prefetch", "auth.User", POST_AUTHOR),
    ),
    (
        "deferred_field",
        lambda o: Post.objects.only("title")[0].content,
        ("deferred", "blog.Post", None),
    ),
    (
        "refresh_from_db",
        lambda o: o["post"].refresh_from_db(),
        ("refresh_from_db", "blog.Post", None),
    ),
    ("raw_cursor", lambda o: connection.cursor().execute("SELECT 1"), (None, None, None)),
]


@pytest.mark.parametrize(("run", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_what_evaluated_the_query(run, expected):
    given = objects()
    with kit.profile() as p:
        run(given)
    last = p.queries[-1]
    assert (last.trigger, last.model, last.relation) == expected


def test_a_prefetched_loop_names_each_query():
    with kit.profile() as p:
        list(Post.objects.select_related("author").prefetch_related("comments__user")[:3])
    assert [(q.trigger, q.model, q.relation) for q in p.queries] == [
        ("iteration", "blog.Post", None),
        ("prefetch", "blog.Comment", POST_COMMENTS),
        ("prefetch", "auth.User", Relation("blog.Comment", "user", "forward", "auth.User")),
    ]


def test_a_len_call_in_a_file_is_read_from_its_source():
    qs = Post.objects.all()
    with kit.profile() as p:
        n = len(qs)  # the source line says len(, so this is the len() antipattern
        rows = list(Post.objects.all())
    assert n == len(rows)
    assert [q.trigger for q in p.queries] == ["len", "iteration"]
