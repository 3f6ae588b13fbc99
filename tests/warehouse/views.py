"""The warehouse's pages, written the way the kit must see through: a function view over a
custom manager, a class-based view with get_queryset(), a model method called per row from a
template, a read-only API with a nested serializer and a method field."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import ListView
from rest_framework import generics

from tests.warehouse.models import AuditEntry, Product
from tests.warehouse.serializers import ProductSerializer


def catalogue(request: HttpRequest) -> HttpResponse:
    """/warehouse/catalogue/: cheap products still sold, with vendor, zone, labels and weight."""
    items = Product.available.cheap().order_by("sku")
    return render(request, "warehouse/catalogue.html", {"items": items})


def audit_log(request: HttpRequest) -> HttpResponse:
    """/warehouse/audit/: the audit entries (on the "other" database) and the products' count."""
    entries = AuditEntry.objects.order_by("pk")
    return render(
        request, "warehouse/audit.html", {"entries": entries, "products": Product.objects.count()}
    )


class StockListView(ListView):
    """/warehouse/stock/: every product with its vendor, its zone's parent and its bins."""

    template_name = "warehouse/stock.html"
    context_object_name = "stock"

    def get_queryset(self) -> QuerySet[Product]:
        return Product.objects.order_by("sku")


class ProductFeed(generics.ListAPIView):
    """/warehouse/api/products/: every product, unpaginated."""

    queryset = Product.objects.order_by("sku")
    serializer_class = ProductSerializer
    pagination_class = None
