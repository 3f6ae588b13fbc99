"""Where Django looks for the app config of `"kit"` in INSTALLED_APPS: kit.django.apps."""

from __future__ import annotations

from kit.django.apps import KitConfig

__all__ = ["KitConfig"]
