"""The read-only API's serializers: a post with its author and tags nested, and a comment count
per post (a SerializerMethodField): as often first written, one query per post for each."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework import serializers

from sample_app.blog.models import Post, Tag


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "username")


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("name", "slug")


class PostSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    category = serializers.StringRelatedField()
    tags = TagSerializer(many=True, read_only=True)
    comment_count = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = (
            "id",
            "title",
            "slug",
            "author",
            "category",
            "tags",
            "comment_count",
            "created_at",
        )

    def get_comment_count(self, post: Post) -> int:
        return post.comments.count()
