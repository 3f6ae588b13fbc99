"""Write loops get one finding each with their bulk form; bulk calls' batches get none.

Run on the warehouse project (tests/warehouse), on every database the suite runs on.
"""

from __future__ import annotations

import pytest
from django.db import transaction

import kit
from kit.analysis.batches import is_batch, rows_per_statement
from kit.analysis.findings import Places
from kit.analysis.writes import find_write_loops
from tests.records import CELL, Trace
from tests.warehouse.data import build
from tests.warehouse.models import Label, Product, Supplier

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def write_findings(p):
    return [f for f in p.findings if f.kind == "write_loop"]


def only_write_loop(p):
    (finding,) = write_findings(p)
    assert [f for f in p.findings if f.kind == "n_plus_one"] == []
    return finding


def test_create_in_a_loop_gets_bulk_create_with_its_own_arguments():
    with kit.profile() as p:
        for i in range(5):
            Label.objects.create(text=f"made {i}")
    finding = only_write_loop(p)
    assert "calls Label.objects.create() 5 times" in finding.message
    assert finding.suggestion == (
        'Label.objects.bulk_create([Label(text=f"made {i}") for i in range(5)])'
    )
    assert len(finding.record_ids) == p.query_count


def test_save_in_a_loop_names_the_fields_it_changes_and_counts_atomic_savepoints():
    build(products=6)
    with kit.profile() as p:
        for product in Product.objects.filter(discontinued=False):
            with transaction.atomic():
                product.price_cents = product.price_cents + 1
                product.save()
    finding = only_write_loop(p)
    saved = Product.objects.filter(discontinued=False).count()
    assert f"calls Product.save() {saved} times" in finding.message
    assert finding.suggestion == 'Product.objects.bulk_update(products, ["price_cents"])'
    # The test runs inside a transaction: each atomic() is a savepoint, counted in the finding.
    savepoints = [q for q in p.queries if q.sql.split()[0] in ("SAVEPOINT", "RELEASE")]
    assert len(savepoints) == 2 * saved
    assert {q.id for q in savepoints} <= set(finding.record_ids)
    assert f"{2 * saved} SAVEPOINT/RELEASE statements from atomic() per row" in finding.message


def test_save_of_one_constant_value_gets_update_on_the_queryset():
    build(products=6)
    with kit.profile() as p:
        for product in Product.objects.filter(discontinued=False):
            product.notes = "checked"
            product.save()
    finding = only_write_loop(p)
    assert finding.suggestion == (
        'Product.objects.filter(discontinued=False).update(notes="checked")'
    )


def test_an_object_the_loop_fetches_by_key_is_not_taken_for_an_element_of_the_keys():
    build(products=6)
    skus = list(Product.objects.order_by("pk").values_list("sku", flat=True))
    with kit.profile() as p:
        for sku in skus:
            product = Product.objects.get(sku=sku)
            product.price_cents = product.price_cents + 1
            product.save()
    (finding,) = write_findings(p)
    # Not bulk_update(skus, ...): skus holds strings. A name for the changed objects, and a note.
    assert finding.suggestion == 'Product.objects.bulk_update(products, ["price_cents"])'
    assert finding.notes == ("products: a list of the Product objects the loop changes.",)
    # Pasted with that name bound to the changed objects, it writes what the loop wrote.
    expected = dict(Product.objects.values_list("sku", "price_cents"))
    products = []
    for sku in skus:
        product = Product.objects.get(sku=sku)
        product.price_cents = product.price_cents + 1
        products.append(product)
    with kit.profile() as fixed:
        exec(finding.suggestion, {"Product": Product, "products": products})
    assert fixed.query_count == 1
    assert dict(Product.objects.values_list("sku", "price_cents")) == {
        sku: cents + 1 for sku, cents in expected.items()
    }


def test_a_constant_saved_on_a_fetched_object_is_not_an_update_of_the_loops_iterable():
    build(products=6)
    skus = Product.objects.filter(discontinued=False).values_list("sku", flat=True)
    with kit.profile() as p:
        for sku in skus:
            product = Product.objects.get(sku=sku)
            product.notes = "checked"
            product.save()
    (finding,) = write_findings(p)
    assert ".update(" not in finding.suggestion
    assert finding.suggestion == 'Product.objects.bulk_update(products, ["notes"])'


def test_delete_in_a_loop_is_one_finding_over_every_cascade():
    build(products=6)
    with kit.profile() as p:
        for product in Product.objects.filter(discontinued=False):
            product.delete()
    (finding,) = write_findings(p)
    deletes = [q for q in p.queries if q.sql.startswith("DELETE")]
    assert {q.id for q in deletes} <= set(finding.record_ids)
    assert len({q.sql.split()[2] for q in deletes}) > 1  # cascades to several tables
    assert finding.suggestion == "Product.objects.filter(discontinued=False).delete()"


def test_get_or_create_counts_its_savepoints_and_reads_once():
    with kit.profile() as p:
        for i in range(4):
            Label.objects.get_or_create(text=f"looked up {i}")
    finding = only_write_loop(p)
    # Every query of the loop is in the finding: the reads, the inserts, the savepoints (on a
    # database in a transaction, as tests are).
    assert set(finding.record_ids) == {q.id for q in p.queries}
    assert 'in_bulk(values, field_name="text")' in finding.suggestion
    assert "Label(text=v)" in finding.suggestion


def test_update_or_create_gets_an_upsert_keyed_on_its_lookup():
    build(products=4)
    with kit.profile() as p:
        for product in list(Product.objects.all()):
            Product.objects.update_or_create(sku=product.sku, defaults={"title": "renamed"})
    finding = only_write_loop(p)
    assert "update_conflicts=True" in finding.suggestion
    assert 'unique_fields=["sku"]' in finding.suggestion
    assert '"title"' in finding.suggestion.partition("update_fields=")[2]
    assert "MySQL take no unique_fields" in " ".join(finding.notes)


def test_m2m_add_per_row_is_never_told_to_use_bulk_create_alone():
    build(products=4)
    labels = list(Label.objects.all())
    product = Product.objects.first()
    product.labels.clear()
    with kit.profile() as p:
        for label in labels:
            product.labels.add(label)
    finding = only_write_loop(p)
    assert finding.suggestion == "product.labels.add(*labels)"
    assert "Product.labels.add()" in finding.message
    with kit.profile() as p:
        for item in Product.objects.all():
            item.labels.remove(labels[0])
    finding = only_write_loop(p)
    assert finding.suggestion.startswith("Product.labels.through.objects.filter(product__in=")


def test_bulk_calls_batches_are_no_finding():
    with kit.profile() as p:
        Label.objects.bulk_create([Label(text=f"batch {i}") for i in range(50)], batch_size=10)
        labels = list(Label.objects.filter(text__startswith="batch "))
        for label in labels:
            label.text = label.text.upper()
        Label.objects.bulk_update(labels, ["text"], batch_size=10)
        Label.objects.filter(text__startswith="BATCH ").delete()
    assert p.query_count >= 10
    assert p.findings == [] and p.n_plus_one == []


def test_a_loop_of_single_row_bulk_creates_is_still_a_loop():
    suppliers = list(Supplier.objects.all()) or [Supplier.objects.create(name="s", country="x")]
    with kit.profile() as p:
        for i in range(4):
            Label.objects.bulk_create([Label(text=f"one {i} {suppliers[0].pk}")])
    finding = only_write_loop(p)
    assert "calls Label.objects.bulk_create() 4 times" in finding.message


@pytest.mark.parametrize(
    ("sql", "params", "rows"),
    [
        ('INSERT INTO "t" ("a") VALUES (%s), (%s), (%s)', (1, 2, 3), 3),
        ('INSERT INTO "t" ("a") VALUES (%s) RETURNING "t"."id"', (1,), 1),
        (
            'INSERT INTO "t" ("a", "b") SELECT * FROM UNNEST((%s)::int[], (%s)::int[])',
            ([1, 2], [3, 4]),
            2,
        ),
        ('DELETE FROM "t" WHERE "t"."id" IN (%s, %s)', (1, 2), 2),
        ('DELETE FROM "t" WHERE "t"."id" IN (%s)', (1,), 1),
        ('UPDATE "t" SET "a" = %s WHERE "t"."id" = %s', (1, 2), 1),
    ],
)
def test_rows_per_statement(sql, params, rows):
    (record,) = Trace().add(sql, params, line=2).records
    assert rows_per_statement(record) == rows


def test_a_batch_needs_a_bulk_trigger():
    trace = Trace()
    for i in range(4):
        trace.add('INSERT INTO "t" ("a") VALUES (%s), (%s)', (i, i), line=2, trigger="bulk_create")
    assert is_batch(trace.records, 3)
    plain = Trace()
    for i in range(4):
        plain.add('INSERT INTO "t" ("a") VALUES (%s), (%s)', (i, i), line=2)
    assert not is_batch(plain.records, 3)


def test_write_loops_read_the_loop_from_the_file():
    source = "\nfor post in posts:\n    post.title = 'x'\n    post.save()\n"
    trace = Trace()
    for pk in range(3):
        trace.add(
            'UPDATE "blog_post" SET "title" = %s, "slug" = %s WHERE "blog_post"."id" = %s',
            ("x", "s", pk),
            line=4,
            trigger="save",
            model="blog.Post",
        )
    found = find_write_loops(trace.records, Places(CELL), 3, {CELL: source}.get)
    (finding,) = found.findings
    assert finding.suggestion == 'Post.objects.bulk_update(posts, ["title"])'
    assert found.record_ids == {0, 1, 2}
    without_source = find_write_loops(trace.records, Places(CELL), 3, None).findings[0]
    assert without_source.suggestion == 'Post.objects.bulk_update(posts, ["title", "slug"])'


def test_a_constant_saved_over_a_queryset_name_gets_update():
    """`for post in posts:` where the capture saw `posts` evaluated: a queryset, so update()."""
    source = "\nposts = Post.objects.filter(category_id=1)\nfor post in posts:\n"
    source += "    post.is_featured = True\n    post.save()\n"
    trace = Trace().add(
        'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."category_id" = %s',
        (1,),
        line=3,
        trigger="iteration",
        model="blog.Post",
    )
    for pk in range(3):
        trace.add(
            'UPDATE "blog_post" SET "is_featured" = %s WHERE "blog_post"."id" = %s',
            (True, pk),
            line=5,
            trigger="save",
            model="blog.Post",
        )
    (finding,) = find_write_loops(trace.records, Places(CELL), 3, {CELL: source}.get).findings
    assert finding.suggestion == "posts.update(is_featured=True)"
    # Without the evaluation on the loop's line, `posts` may be a list: bulk_update it.
    saves = [r for r in trace.records if r.trigger == "save"]
    (finding,) = find_write_loops(saves, Places(CELL), 3, {CELL: source}.get).findings
    assert finding.suggestion == 'Post.objects.bulk_update(posts, ["is_featured"])'


def test_reverse_foreign_key_add_per_row_gets_one_add_call():
    build(products=4)
    supplier = Supplier.objects.create(name="new", country="nl")
    products = list(Product.objects.all())
    with kit.profile() as p:
        for product in products:
            supplier.catalogue.add(product)
    finding = only_write_loop(p)
    assert finding.suggestion == "supplier.catalogue.add(*products)"
    assert "Supplier.catalogue.add()" in finding.message
    assert Product.objects.filter(vendor=supplier).count() == len(products)
