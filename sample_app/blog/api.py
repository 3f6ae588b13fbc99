"""The read-only API under /api/: /api/posts/ (20 a page) and /api/posts/<pk>/."""

from __future__ import annotations

from rest_framework import routers, viewsets

from sample_app.blog.models import Post
from sample_app.blog.serializers import PostSerializer


class PostViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Post.objects.filter(published=True).order_by("-created_at", "pk")
    serializer_class = PostSerializer


router = routers.DefaultRouter()
router.register("posts", PostViewSet, basename="post")
