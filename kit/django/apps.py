"""The kit as a Django app: `INSTALLED_APPS = [..., "kit"]`."""

from __future__ import annotations

from django.apps import AppConfig


class KitConfig(AppConfig):
    """The kit's app: no models, no signals at start-up; commands live in kit/django/."""

    # INSTALLED_APPS says "kit" (Django finds this class through kit/apps.py), but the app's
    # module is the Django layer: Django lists an app's management commands under its path
    # and imports them as <name>.management.commands.<command>, so both must be kit/django/
    # for everything Django loads to stay there. The label stays "kit".
    name = "kit.django"
    label = "kit"
    verbose_name = "Django ORM kit"
    default = True
