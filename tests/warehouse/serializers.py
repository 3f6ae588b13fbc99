"""The warehouse API's serializer: a nested supplier, labels by text, a per-row method field."""

from __future__ import annotations

from rest_framework import serializers

from tests.warehouse.models import Product, Supplier


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ("name", "country")


class ProductSerializer(serializers.ModelSerializer):
    vendor = SupplierSerializer(read_only=True)
    labels = serializers.SlugRelatedField(many=True, read_only=True, slug_field="text")
    placed = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ("sku", "title", "vendor", "labels", "placed")

    def get_placed(self, product: Product) -> int:
        return product.placement_total()
