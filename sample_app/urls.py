"""URL routes of the sample project (none yet: the notebooks query the models directly)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
