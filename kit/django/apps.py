"""The kit as a Django app: `INSTALLED_APPS = [..., "kit"]`."""

from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig


class KitConfig(AppConfig):
    """The kit's app: no models, no signals at start-up; commands live in kit/django/."""

    name = "kit"
    label = "kit"
    verbose_name = "Django ORM kit"
    # Django finds an app's management commands (and templates) under its path: the Django
    # layer's folder, not the package root, so everything Django loads stays in kit/django/.
    path = str(Path(__file__).resolve().parent)
    default = True
