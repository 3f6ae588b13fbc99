"""Django layer: what runs inside a Django project with "kit" in INSTALLED_APPS.

The AppConfig (kit.django.apps.KitConfig, found through kit/apps.py) makes this package the
kit's app, so its management commands (kit/django/management/commands/: `orm_profile`) are
found; it installs nothing. The opt-in middleware is `kit.django.QueryProfileMiddleware`,
imported on first use (PEP 562), so an app list with "kit" costs a project nothing at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["QueryProfileMiddleware", "profile_request"]

_LAZY = {
    "QueryProfileMiddleware": ("kit.django.middleware", "QueryProfileMiddleware"),
    "profile_request": ("kit.django.requests", "profile_request"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kit.django' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    return getattr(import_module(module), attribute)
