"""The warehouse's admin: columns through a nullable foreign key, a reverse one-to-one, an M2M
count, and a foreign key Django's own select_related() already loads."""

from __future__ import annotations

from django.contrib import admin

from tests.warehouse.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "vendor", "zone_name", "label_count", "weight")

    @admin.display(description="zone")
    def zone_name(self, product: Product) -> str:
        return product.zone.name if product.zone else "-"

    @admin.display(description="labels")
    def label_count(self, product: Product) -> int:
        return product.labels.count()

    @admin.display(description="grams")
    def weight(self, product: Product) -> int:
        return product.spec.weight_grams
