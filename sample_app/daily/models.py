"""PostDay: one row per post and day, with no surrogate id (Django 5.2's CompositePrimaryKey)."""

from __future__ import annotations

from django.db import models


class PostDay(models.Model):
    """How often a post was viewed on one day; `pk` is the tuple (post_id, day)."""

    pk = models.CompositePrimaryKey("post_id", "day")
    post = models.ForeignKey("blog.Post", related_name="days", on_delete=models.CASCADE)
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"post {self.post_id} on {self.day}: {self.views} views"
