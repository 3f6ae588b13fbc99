"""The optimization guide's blog models; field names are the notebooks' public interface."""

from __future__ import annotations

import django
from django.conf import settings
from django.db import models
from django.utils import timezone

# Django 5.1 renamed CheckConstraint's check= to condition= (6.0 drops check=), and 4.2 knows only
# check=: the sample app runs on both LTS releases (.ci/run tests the kit on 4.2 too). The
# migration spells it the same way.
CHECK_CONSTRAINT_ARGUMENT = "condition" if django.VERSION >= (5, 1) else "check"

# Indexes are deliberately limited to what foreign keys and unique constraints create:
# a notebook teaches adding the missing ones, measured with EXPLAIN.


class Profile(models.Model):
    """One user's profile; `bio` and `avatar` are heavy so that only()/defer() pay off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, related_name="profile", on_delete=models.CASCADE
    )
    bio = models.TextField(blank=True)
    avatar = models.BinaryField(blank=True)
    website = models.URLField(blank=True)
    location = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Profile of user {self.user_id}"


class Category(models.Model):
    """A post category."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A tag attached to posts through PostTag."""

    name = models.CharField(max_length=50, unique=True)
    # SlugField indexes by default; no index here, see the module comment.
    slug = models.SlugField(max_length=50, db_index=False)

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A blog post; `content` and `description` are several KB of text each."""

    title = models.CharField(max_length=200)
    # SlugField indexes by default; no index here, see the module comment.
    slug = models.SlugField(max_length=220, db_index=False)
    content = models.TextField()
    description = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="posts", on_delete=models.CASCADE
    )
    category = models.ForeignKey(Category, related_name="posts", on_delete=models.CASCADE)
    tags = models.ManyToManyField(Tag, through="PostTag", related_name="posts")
    published = models.BooleanField(default=False)
    is_featured = models.BooleanField(default=False)
    view_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    external_id = models.CharField(max_length=64, unique=True)
    # A default rather than auto_now_add, so the seed can write deterministic dates.
    created_at = models.DateTimeField(default=timezone.now)
    # Not auto_now: auto_now would overwrite the seed's deterministic value on save.
    updated_at = models.DateTimeField(default=timezone.now)

    # No Meta.ordering on purpose: the notebooks show what first()/last() do on an
    # unordered queryset (they order by pk), as the guide's Part 2 glosses over.

    def __str__(self) -> str:
        return self.title


class PostTag(models.Model):
    """The through table between Post and Tag."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["post", "tag"], name="blog_posttag_post_tag_unique"),
        )

    def __str__(self) -> str:
        return f"post {self.post_id} tag {self.tag_id}"


class Comment(models.Model):
    """A comment by a user on a post."""

    post = models.ForeignKey(Post, related_name="comments", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="comments", on_delete=models.CASCADE
    )
    text = models.TextField()
    is_approved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"comment {self.pk} on post {self.post_id}"


class Rating(models.Model):
    """A user's 1-5 score for a post; one per user and post."""

    post = models.ForeignKey(Post, related_name="ratings", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="ratings", on_delete=models.CASCADE
    )
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["post", "user"], name="blog_rating_post_user_unique"),
            models.CheckConstraint(
                **{CHECK_CONSTRAINT_ARGUMENT: models.Q(score__gte=1, score__lte=5)},
                name="blog_rating_score_1_5",
            ),
        )

    def __str__(self) -> str:
        return f"{self.score} for post {self.post_id}"


class Like(models.Model):
    """A user's like of a post; one per user and post."""

    post = models.ForeignKey(Post, related_name="likes", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="likes", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["post", "user"], name="blog_like_post_user_unique"),
        )

    def __str__(self) -> str:
        return f"like of post {self.post_id} by user {self.user_id}"
