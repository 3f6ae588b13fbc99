"""App configuration of the blog app."""

from __future__ import annotations

from django.apps import AppConfig


class BlogConfig(AppConfig):
    """Blog app; the label `blog` gives the table names the guide's raw SQL uses."""

    name = "sample_app.blog"
    label = "blog"
    default_auto_field = "django.db.models.BigAutoField"
