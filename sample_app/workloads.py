"""The guide's workloads as plain functions, shared by tests, benchmarks and notebooks.

Field names are the sample app's: the guide's `author.name`, `category.title` and
`comments__author` do not exist (User has `username`, Category `name`, Comment's FK is `user`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, Sum

from sample_app.blog.models import Comment, Post


def n_plus_one_loop() -> list[str]:
    """Guide Part 1, TERRIBLE (with the sample app's real field names)."""
    out = []
    for post in Post.objects.all():
        out.append(post.author.username)
        out.append(post.category.name)
        for comment in post.comments.all():
            out.append(comment.user.username)
    return out


def optimized_loop() -> list[str]:
    """Guide Part 1, OPTIMIZED: select_related + prefetch_related."""
    out = []
    posts = Post.objects.select_related("author", "category").prefetch_related("comments__user")
    for post in posts:
        out.append(post.author.username)
        out.append(post.category.name)
        for comment in post.comments.all():
            out.append(comment.user.username)
    return out


def latest_comments_loop() -> list[str]:
    """Part 1's advanced technique done lazily: a filtered, sliced related queryset per post."""
    out = []
    for post in Post.objects.all():
        for comment in post.comments.filter(is_approved=True).order_by("-created_at")[:5]:
            out.append(f"{comment.user.username}: {comment.text}")
    return out


def advanced_prefetch_loop() -> list[str]:
    """Guide Part 1, Advanced Prefetching: Prefetch(queryset=..., to_attr=...)."""
    posts = Post.objects.prefetch_related(
        Prefetch(
            "comments",
            queryset=Comment.objects.select_related("user")
            .filter(is_approved=True)
            .order_by("-created_at")[:5],
            to_attr="latest_comments",
        )
    ).all()
    out = []
    for post in posts:
        for comment in post.latest_comments:
            out.append(f"{comment.user.username}: {comment.text}")
    return out


def posts_exist_terrible() -> list[str]:
    """Guide Part 2, TERRIBLE: truth-testing a queryset loads all of it."""
    said = []
    posts = Post.objects.all()
    if posts:
        said.append("Posts exist")
    return said


def post_count_terrible() -> int:
    """Guide Part 2, TERRIBLE: counting by loading every row."""
    post_count = len(Post.objects.all())
    return post_count


def user_has_posts_terrible(user: User) -> list[str]:
    """Guide Part 2, TERRIBLE: checking existence by loading the matching rows."""
    said = []
    if Post.objects.filter(author=user):
        said.append("User has posts")
    return said


def lazy_loading_optimized(user: User) -> dict[str, Any]:
    """Guide Part 2, OPTIMIZED: exists(), count(), first()/last() and a slice."""
    has_posts = Post.objects.filter(author=user).exists()
    post_count = Post.objects.filter(published=True).count()
    latest_post = Post.objects.filter(published=True).first()
    # Unordered: last() orders by -pk, so this is the highest id, not the oldest post.
    oldest_post = Post.objects.filter(published=True).last()
    posts_page_2 = list(Post.objects.all()[20:40])
    return {
        "has_posts": has_posts,
        "post_count": post_count,
        "latest_post": latest_post,
        "oldest_post": oldest_post,
        "posts_page_2": posts_page_2,
    }


def get_blog_posts_bad() -> list[dict[str, Any]]:
    """Guide "Performance impact", example 1, BEFORE."""
    posts = Post.objects.all()
    result = []
    for post in posts:
        result.append(
            {
                "title": post.title,
                "author": post.author.username,
                "category": post.category.name,
                "comment_count": post.comments.count(),
                "tags": [tag.name for tag in post.tags.all()],
            }
        )
    return result


def user_dashboard_bad(user_id: int) -> dict[str, Any]:
    """Guide "Performance impact", example 2, BEFORE: one query per metric."""
    user = User.objects.get(id=user_id)
    total_posts = Post.objects.filter(author=user).count()
    published_posts = Post.objects.filter(author=user, published=True).count()
    total_views = sum(Post.objects.filter(author=user).values_list("view_count", flat=True))
    recent_comments = Comment.objects.filter(post__author=user)[:5]
    return {
        "user": user,
        "total_posts": total_posts,
        "published_posts": published_posts,
        "total_views": total_views,
        "recent_comments": recent_comments,
    }


def user_dashboard_good(user_id: int) -> dict[str, Any]:
    """Guide example 2, AFTER, with Comment's real FK (`user`, not `author`)."""
    user_data = (
        User.objects.select_related("profile")
        .annotate(
            total_posts=Count("posts"),
            published_posts=Count("posts", filter=Q(posts__published=True)),
            total_views=Sum("posts__view_count"),
        )
        .get(id=user_id)
    )
    recent_comments = (
        Comment.objects.select_related("post", "user")
        .filter(post__author_id=user_id)
        .order_by("-created_at")[:5]
    )
    return {
        "user": user_data,
        "total_posts": user_data.total_posts,
        "published_posts": user_data.published_posts,
        "total_views": user_data.total_views or 0,
        "recent_comments": recent_comments,
    }
