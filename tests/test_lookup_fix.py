"""A get() by primary key per value of a loop gets one in_bulk() before the loop, pasted and run.

On the warehouse project (tests/warehouse), not the sample blog.
"""

from __future__ import annotations

import pytest

import kit
from tests.warehouse.data import build
from tests.warehouse.models import Product

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def n_plus_one(p):
    (finding,) = [f for f in p.findings if f.kind == "n_plus_one"]
    return finding


def test_a_get_by_pk_per_value_gets_in_bulk_before_the_loop_and_the_fix_keeps_the_objects():
    build(products=6)
    wanted = list(Product.objects.order_by("-pk").values_list("pk", flat=True))
    with kit.profile() as p:
        titles = []
        for product_id in wanted:
            product = Product.objects.get(pk=product_id)
            titles.append(product.title)
    finding = n_plus_one(p)
    assert "a get() by primary key per value of the loop" in finding.message
    assert finding.suggestion == "product_by_pk = Product.objects.in_bulk(wanted)"
    assert finding.notes == (
        "before the loop; in it, read product_by_pk[product_id] in place of "
        "Product.objects.get(pk=product_id): a missing key raises KeyError there, where get() "
        "raised DoesNotExist.",
    )
    # Pasted as printed, and the loop reading the dict as the note says: the same objects in
    # the same order, in one query.
    namespace = {"Product": Product, "wanted": wanted}
    with kit.profile() as fixed:
        exec(finding.suggestion, namespace)
        fixed_titles = [namespace["product_by_pk"][product_id].title for product_id in wanted]
    assert fixed_titles == titles
    assert fixed.query_count == 1


def test_a_get_by_another_field_or_not_by_the_loop_variable_gets_no_code():
    build(products=6)
    skus = list(Product.objects.values_list("sku", flat=True))
    with kit.profile() as by_sku:
        for sku in skus:
            Product.objects.get(sku=sku)  # in_bulk needs a unique field: not known here
    ids = list(Product.objects.values_list("pk", flat=True))
    with kit.profile() as by_expression:
        for i in range(len(ids)):
            Product.objects.get(pk=ids[i])  # the value is not the loop's own variable
    for p in (by_sku, by_expression):
        finding = n_plus_one(p)
        assert finding.suggestion is None
        assert "filter(<field>__in=...), in_bulk()" in finding.message


def test_a_get_by_pk_on_a_related_manager_per_value_gets_in_bulk_not_a_prefetch():
    # prefetch_related('catalogue') would not help: a related manager's get() is a new query
    # even when the relation is prefetched.
    from django.db.models import Count

    from tests.warehouse.models import Supplier

    build(products=30)
    supplier = Supplier.objects.annotate(n=Count("catalogue")).order_by("-n").first()
    ids = list(supplier.catalogue.order_by("pk").values_list("pk", flat=True))
    with kit.profile() as p:
        skus = []
        for product_id in ids:
            skus.append(supplier.catalogue.get(pk=product_id).sku)
    assert len(ids) >= 3
    finding = n_plus_one(p)
    assert finding.suggestion == "product_by_pk = supplier.catalogue.in_bulk(ids)"
    namespace = {"supplier": supplier, "ids": ids}
    with kit.profile() as fixed:
        exec(finding.suggestion, namespace)
        assert [namespace["product_by_pk"][i].sku for i in ids] == skus
    assert fixed.query_count == 1
