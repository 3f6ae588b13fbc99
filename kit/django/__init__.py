"""Django layer: what runs inside a Django project with "kit" in INSTALLED_APPS.

The AppConfig (kit.django.apps.KitConfig, found through kit/apps.py) makes the kit an app, so
its management commands (kit/django/management/commands/) are found; it installs nothing.
"""
