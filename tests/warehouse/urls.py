"""The warehouse's pages, under /warehouse/ in tests/urls.py."""

from __future__ import annotations

from django.urls import path

from tests.warehouse import views

app_name = "warehouse"

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("stock/", views.StockListView.as_view(), name="stock"),
    path("audit/", views.audit_log, name="audit"),
    path("api/products/", views.ProductFeed.as_view(), name="products"),
]
