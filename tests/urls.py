"""The test project's URLs: the sample app's, and the warehouse's pages under /warehouse/."""

from __future__ import annotations

from django.urls import include, path

from sample_app.urls import urlpatterns as sample_urlpatterns

urlpatterns = [
    *sample_urlpatterns,
    path("warehouse/", include("tests.warehouse.urls")),
]
