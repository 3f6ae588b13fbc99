"""Warehouse models: the relation kinds of real projects, with names unlike the blog's."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Sum


class Remark(models.Model):
    """A note on anything: a generic foreign key (content type + object id)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    body = models.CharField(max_length=200)

    class Meta:
        indexes = (models.Index(fields=["content_type", "object_id"]),)


class Supplier(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    remarks = GenericRelation(Remark, related_query_name="supplier")

    @property
    def product_count(self) -> int:
        """Queries once per supplier: a property that hides a COUNT."""
        return self.catalogue.count()

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A storage zone inside another zone: a self-referential chain."""

    name = models.CharField(max_length=100)
    parent_zone = models.ForeignKey(
        "self", null=True, blank=True, related_name="subzones", on_delete=models.CASCADE
    )

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    text = models.CharField(max_length=50, unique=True)


class Bin(models.Model):
    code = models.CharField(max_length=20, unique=True)


class ProductQuerySet(models.QuerySet):
    def cheap(self) -> ProductQuerySet:
        return self.filter(price_cents__lt=1_000)


class AvailableManager(models.Manager.from_queryset(ProductQuerySet)):  # type: ignore[misc]
    """Only products still sold."""

    def get_queryset(self) -> ProductQuerySet:
        return super().get_queryset().filter(discontinued=False)


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    price_cents = models.PositiveIntegerField(default=0)
    discontinued = models.BooleanField(default=False)
    vendor = models.ForeignKey(Supplier, related_name="catalogue", on_delete=models.CASCADE)
    zone = models.ForeignKey(
        Zone, null=True, blank=True, related_name="stock", on_delete=models.SET_NULL
    )
    labels = models.ManyToManyField(Label, related_name="items", blank=True)
    bins = models.ManyToManyField(Bin, through="Placement", related_name="products")
    remarks = GenericRelation(Remark, related_query_name="product")

    objects = models.Manager.from_queryset(ProductQuerySet)()
    available = AvailableManager()

    def placement_total(self) -> int:
        """Queries once per product: a method that aggregates its placements."""
        return self.placements.aggregate(total=Sum("quantity"))["total"] or 0

    def __str__(self) -> str:
        return self.sku


class Placement(models.Model):
    """Through model: how many of a product sit in a bin."""

    product = models.ForeignKey(Product, related_name="placements", on_delete=models.CASCADE)
    bin = models.ForeignKey(Bin, related_name="placements", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["product", "bin"], name="warehouse_placement_unique"),
        )


class Spec(models.Model):
    """One-to-one with Product (read back as product.spec: a reverse one-to-one)."""

    product = models.OneToOneField(Product, related_name="spec", on_delete=models.CASCADE)
    weight_grams = models.PositiveIntegerField()


class PerishableProduct(Product):
    """Multi-table inheritance: a child table joined to Product's by its parent link."""

    expires_on = models.DateField()


class AuditEntry(models.Model):
    """Lives on the second database ("other"): see routers.ArchiveRouter."""

    sku = models.CharField(max_length=32)
    action = models.CharField(max_length=20)
