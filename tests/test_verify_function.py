"""kit.verify(function, queryset, fix=...): a fix proved for code outside a cell (a view's
queryset), both calls rolled back; a fix that changes the rows is caught."""

from __future__ import annotations

import pytest
from django.db import models
from django.test import RequestFactory

import kit
from kit.analysis.verification import describe
from kit.profiles.replay import fix_code
from tests.warehouse.data import build
from tests.warehouse.models import Product, Supplier
from tests.warehouse.views import StockListView

pytestmark = pytest.mark.django_db(databases=["default", "other"])

# What the kit's fixes may call (Count, Prefetch, Q, Sum, Exists, OuterRef...).
DJANGO_MODELS = vars(models)


def stock_page(queryset):
    """The pattern for a class-based view: its get_queryset() returns the queryset given."""
    view = StockListView.as_view(get_queryset=lambda: queryset)
    return view(RequestFactory().get("/warehouse/stock/")).render().content.decode()


def the_kits_fix(chain: str):
    """The calls the kit prints for the view, as a function of the queryset."""
    return lambda qs: eval(f"qs{chain}", {"qs": qs, **DJANGO_MODELS})


def test_the_fix_the_kit_prints_for_a_class_views_get_queryset_is_verified():
    build(products=6)
    with kit.profile() as p:
        stock_page(Product.objects.order_by("sku"))
    (fix,) = p.fixes
    result = kit.verify(stock_page, Product.objects.order_by("sku"), fix=the_kits_fix(fix.chain))
    assert result.verified, describe(result)
    assert result.same_output and result.queries_after is not None
    assert result.queries_after < result.queries_before == p.query_count
    assert result.finding is not None and result.finding.kind == "n_plus_one"


def test_a_fix_that_changes_the_rows_is_not_verified():
    build(products=6)
    first = Product.objects.order_by("sku").first()

    def wrong(qs):
        return qs.select_related("vendor").exclude(pk=first.pk)

    result = kit.verify(stock_page, Product.objects.order_by("sku"), fix=wrong)
    assert not result.verified and not result.same_output
    assert describe(result).startswith("not verified: the output differs (first difference:")
    assert result.code == "test_a_fix_that_changes_the_rows_is_not_verified.<locals>.wrong"


def test_neither_call_keeps_its_writes():
    build(products=3)
    before = Supplier.objects.count()

    def writes(qs):
        Supplier.objects.create(name="made by verify")
        return [p.vendor.name for p in qs]

    result = kit.verify(
        writes, Product.objects.order_by("sku"), fix=lambda q: q.select_related("vendor")
    )
    assert result.verified, describe(result)
    assert Supplier.objects.count() == before


def test_the_fix_is_named_by_its_code_and_bad_arguments_say_how_to_call_it():
    assert fix_code(lambda qs: qs.select_related("vendor")) == "qs.select_related('vendor')"
    with pytest.raises(kit.KitUsageError, match=r"fix=lambda qs: qs\.select_related"):
        kit.verify(stock_page, Product.objects.all(), fix="select_related('vendor')")
