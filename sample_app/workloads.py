"""The guide's workloads as plain functions, shared by tests, benchmarks and notebooks."""

from __future__ import annotations

from sample_app.blog.models import Post


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
