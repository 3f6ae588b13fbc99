"""The second test project works on every database, and each of its relation kinds runs the
queries the kit's other tests rely on (an N+1 per relation kind, the second database)."""

from __future__ import annotations

import pytest

import kit
from tests.warehouse.data import build
from tests.warehouse.models import AuditEntry, PerishableProduct, Product, Remark, Supplier, Zone

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def test_build_makes_what_it_says():
    made = build(products=8, audit=True)
    assert Product.objects.count() == made.products
    assert PerishableProduct.objects.count() == made.perishables
    assert Product.available.count() == made.products - made.products // 5
    assert Zone.objects.filter(parent_zone__parent_zone__isnull=False).count() == 4
    assert Remark.objects.count() == made.products + made.suppliers
    assert AuditEntry.objects.using("other").count() == made.products
    assert AuditEntry.objects.count() == made.products  # routed to "other"


PRODUCTS = 6
LOOPS = {
    "forward": lambda: [p.vendor.name for p in Product.objects.all()],
    "reverse_one_to_one": lambda: [p.spec.weight_grams for p in Product.objects.all()],
    "m2m": lambda: [len(p.labels.all()) for p in Product.objects.all()],
    "m2m_through": lambda: [len(p.bins.all()) for p in Product.objects.all()],
    "generic_relation": lambda: [len(p.remarks.all()) for p in Product.objects.all()],
    "method": lambda: [p.placement_total() for p in Product.objects.all()],
    "property": lambda: [s.product_count for s in Supplier.objects.all()],
}


@pytest.mark.parametrize("kind", LOOPS)
def test_each_relation_kind_is_an_n_plus_one_the_kit_counts(kind):
    build(products=PRODUCTS)
    rows = Supplier.objects.count() if kind == "property" else PRODUCTS
    with kit.profile() as p:
        LOOPS[kind]()
    assert p.query_count == 1 + rows
    assert [g.count for g in p.n_plus_one] == [rows]


def test_a_self_referential_chain_queries_once_per_level():
    made = build(products=PRODUCTS)
    with kit.profile() as p:
        depths = [z.parent_zone and z.parent_zone.parent_zone for z in Zone.objects.all()]
    # Every zone but the root reads its parent; the two halls' parent is the root (no further).
    assert len(depths) == made.zones
    assert p.query_count == 1 + (made.zones - 1) + 4


def test_generic_foreign_key_loop_queries_each_target():
    made = build(products=6)
    with kit.profile() as p:
        targets = [r.target for r in Remark.objects.order_by("pk")]
    assert len(targets) == made.products + made.suppliers
    assert {type(t) for t in targets} >= {Product, Supplier}
    assert p.query_count >= 1 + len(targets) - 2  # content types may come from Django's cache


def test_a_query_on_the_second_database_is_captured_with_its_alias():
    build(products=3, audit=True)
    with kit.profile() as p:
        AuditEntry.objects.filter(action="count").count()
    assert [q.alias for q in p.queries] == ["other"]
