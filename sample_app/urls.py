"""URL routes of the sample project: the blog's pages, its read-only API and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from sample_app.blog.api import router

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("sample_app.blog.urls")),
    path("api/", include(router.urls)),
    path("admin/", admin.site.urls),
]
