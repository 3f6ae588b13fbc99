"""Deterministic warehouse rows for a test: build(products=N) returns what it made."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from tests.warehouse.models import (
    AuditEntry,
    Bin,
    Label,
    PerishableProduct,
    Placement,
    Product,
    Remark,
    Spec,
    Supplier,
    Zone,
)


@dataclass(frozen=True)
class Warehouse:
    """Counts of what build() made, for assertions written as formulas of the data."""

    suppliers: int
    zones: int
    products: int  # Product rows, the perishable children's parents included
    perishables: int
    labels_per_product: int
    bins_per_product: int


def build(products: int = 12, perishables: int = 3, audit: bool = False) -> Warehouse:
    """Suppliers, a zone chain (root > hall > aisle), labels, bins, products with labels,
    placements, a spec and a remark each; perishable children; audit entries on "other"."""
    suppliers = Supplier.objects.bulk_create(
        [Supplier(name=f"Supplier {i}", country=c) for i, c in enumerate(("DE", "FR", "JP"))]
    )
    root = Zone.objects.create(name="Site")
    halls = [Zone.objects.create(name=f"Hall {i}", parent_zone=root) for i in range(2)]
    aisles = [
        Zone.objects.create(name=f"Aisle {h}.{i}", parent_zone=hall)
        for h, hall in enumerate(halls)
        for i in range(2)
    ]
    labels = Label.objects.bulk_create([Label(text=t) for t in ("new", "fragile", "bulk", "eco")])
    bins = Bin.objects.bulk_create([Bin(code=f"B-{i:02}") for i in range(4)])
    made: list[Product] = []
    for i in range(products):
        fields = {
            "sku": f"SKU-{i:04}",
            "title": f"Product {i}",
            "notes": "note " * 50,
            "price_cents": 250 * (i + 1),
            "discontinued": i % 5 == 4,
            "vendor": suppliers[i % len(suppliers)],
            "zone": aisles[i % len(aisles)],
        }
        if i < perishables:
            product: Product = PerishableProduct.objects.create(
                expires_on=datetime.date(2027, 1, 1) + datetime.timedelta(days=i), **fields
            )
        else:
            product = Product.objects.create(**fields)
        made.append(product)
        product.labels.add(labels[i % 4], labels[(i + 1) % 4])
        Placement.objects.create(product=product, bin=bins[i % 4], quantity=i + 1)
        Placement.objects.create(product=product, bin=bins[(i + 2) % 4], quantity=2 * i + 1)
        Spec.objects.create(product=product, weight_grams=100 + i)
        Remark.objects.create(target=product, body=f"checked {i}")
    for supplier in suppliers:
        Remark.objects.create(target=supplier, body=f"audited {supplier.name}")
    if audit:
        AuditEntry.objects.bulk_create([AuditEntry(sku=p.sku, action="count") for p in made])
    return Warehouse(
        suppliers=len(suppliers),
        zones=1 + len(halls) + len(aisles),
        products=products,
        perishables=perishables,
        labels_per_product=2,
        bins_per_product=2,
    )
