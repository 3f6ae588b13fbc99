"""The guide's views, as they are often first written: each has an N+1 the kit finds.

They are the sample's teaching material, not a model to copy: notebook 08 profiles them
(`%%orm_profile` around `client.get("/posts/")`, `python manage.py orm_profile /posts/`) and
shows the fix the kit names for each. The URLs are listed in the README.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page
from django.views.generic import DetailView

from sample_app.blog.models import Comment, Post

POSTS_PER_PAGE = 20


def post_list(request: HttpRequest) -> HttpResponse:
    """/posts/: the 20 newest published posts (the guide's post_list_view); the template
    follows each post's author, category, tags and comment count: one query per post each."""
    posts = Post.objects.filter(published=True).order_by("-created_at")[:POSTS_PER_PAGE]
    return render(request, "blog/post_list.html", {"posts": posts})


class PostDetailView(DetailView):
    """/posts/<pk>/: one published post with its author's profile and its comments; the
    template follows each comment's user: one query per comment."""

    queryset = Post.objects.filter(published=True)
    template_name = "blog/post_detail.html"
    context_object_name = "post"


def get_popular_posts() -> QuerySet[Post]:
    """The guide's popular posts (Part 6): more than 10 comments, most viewed first."""
    return (
        Post.objects.select_related("author")
        .annotate(comment_count=Count("comments"))
        .filter(comment_count__gt=10)
        .order_by("-view_count", "pk")[:10]
    )


# The guide's Method 3: the whole response cached for 15 minutes.
@cache_page(60 * 15)
def popular_posts(request: HttpRequest) -> HttpResponse:
    """/posts/popular/: the popular posts with their category: one query per post."""
    return render(request, "blog/popular_posts.html", {"posts": get_popular_posts()})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """/dashboard/: the guide's user dashboard (Example 2, "before") for the logged-in user,
    and the popular posts in a sidebar cached as a template fragment (the guide's Method 4)."""
    user = request.user
    context: dict[str, Any] = {
        "total_posts": Post.objects.filter(author=user).count(),
        "published_posts": Post.objects.filter(author=user, published=True).count(),
        "total_views": sum(Post.objects.filter(author=user).values_list("view_count", flat=True)),
        "recent_comments": Comment.objects.filter(post__author=user).order_by("-created_at")[:5],
        "popular_posts": get_popular_posts(),
    }
    return render(request, "blog/dashboard.html", context)
