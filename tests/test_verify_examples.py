"""--verify over the guide's N+1 examples (the sample blog) and the warehouse test project:
every fix the kit prints is verified by the replay; a fix that changes the rows is not."""

from __future__ import annotations

import pytest
from django.db.models import Count, Prefetch, Q
from IPython.utils.capture import capture_output

from kit.analysis.verification import describe
from sample_app.blog.models import Comment, Post
from tests.warehouse.data import build
from tests.warehouse.models import Product, Supplier

DJANGO_MODELS = {"Count": Count, "Prefetch": Prefetch, "Q": Q}
pytestmark = pytest.mark.django_db(databases=["default", "other"])

# The guide's N+1 loops, written in a cell as a reader would (sample_app.workloads has them
# as functions), each ending with what it computed, so that a changed row shows. Ordered by pk:
# the guide's Post.objects.all() has no order, and once a fix joins, MariaDB returns the rows in
# another order, which the replay rightly reports (test_a_fix_that_reorders_... below).
GUIDE = {
    "part 1, TERRIBLE": """
lines = []
for post in Post.objects.order_by("pk"):
    lines.append(post.author.username)
    lines.append(post.category.name)
    # Sorted: a post's comments have no order, and prefetched they may come in another
    # (MariaDB), which the replay would rightly report.
    lines.extend(sorted(comment.user.username for comment in post.comments.all()))
lines
""",
    "part 1, the latest comments per post": """
lines = []
for post in Post.objects.filter(pk__lte=200).order_by("pk"):
    for comment in post.comments.filter(is_approved=True).order_by("-created_at")[:5]:
        lines.append(f"{comment.user.username}: {comment.text}")
lines
""",
    "performance impact, example 1, BEFORE": """
posts = Post.objects.all()
result = []
for post in posts:
    result.append(
        {
            "title": post.title,
            "author": post.author.username,
            "category": post.category.name,
            "comment_count": post.comments.count(),
            "tags": [tag.name for tag in post.tags.all()],
        }
    )
print(len(result))
result
""",
}

# Post has no Meta.ordering: the annotate(Count(...)) of this fix adds a GROUP BY, after which
# the database may return the same rows in another order (SQLite does). The replay catches that.
UNORDERED = "performance impact, example 1, BEFORE"


WAREHOUSE = {
    "stock list": """
rows = []
for product in Product.objects.order_by("sku"):
    parent = product.zone.parent_zone.name if product.zone and product.zone.parent_zone else None
    bins = sorted(bin.code for bin in product.bins.all())
    rows.append((product.sku, product.vendor.name, parent, bins))
rows
""",
    "labels and specs": """
for product in Product.available.cheap().order_by("sku"):
    print(product.sku, sorted(label.text for label in product.labels.all()))
    print(product.spec.weight_grams if hasattr(product, "spec") else None)
""",
    "suppliers and their catalogue size": """
[(supplier.name, supplier.catalogue.count()) for supplier in Supplier.objects.order_by("pk")]
""",
}


def run(shell, body: str, **names):
    shell.user_ns.pop("prof", None)
    shell.user_ns.update(names)
    with capture_output():
        result = shell.run_cell("%%orm_profile -o prof --verify" + body)
    result.raise_error()
    return shell.user_ns["prof"]


def assert_every_fix_verified(prof) -> None:
    n_plus_one = [f for f in prof.findings if f.kind == "n_plus_one"]
    assert n_plus_one, "the example has no N+1 to fix"
    tried = {v.finding for v in prof.verifications if v.finding is not None}
    assert tried == set(n_plus_one)
    for verification in prof.verifications:
        assert verification.verified, describe(verification)
        assert verification.queries_after < verification.queries_before


@pytest.mark.parametrize("name", [n for n in GUIDE if n != UNORDERED])
def test_every_fix_of_the_guides_n_plus_one_examples_is_verified(ip_shell, name):
    prof = run(ip_shell, GUIDE[name], Post=Post, Comment=Comment)
    assert_every_fix_verified(prof)


def test_a_fix_that_reorders_an_unordered_queryset_is_caught(ip_shell):
    prof = run(ip_shell, GUIDE[UNORDERED], Post=Post, Comment=Comment)
    (verification,) = prof.verifications
    fixed = eval(verification.code, {"posts": Post.objects.all(), **DJANGO_MODELS})
    fixed_ids, ids = [p.pk for p in fixed], [p.pk for p in Post.objects.all()]
    assert sorted(fixed_ids) == sorted(ids)  # the same rows...
    if fixed_ids == ids:  # ...in the same order here: the fix holds
        assert verification.verified, describe(verification)
    else:  # ...in another: caught
        assert not verification.verified and not verification.same_output
        assert describe(verification).startswith("not verified: the output differs")


@pytest.mark.parametrize("name", list(WAREHOUSE))
def test_every_fix_on_the_warehouse_project_is_verified(ip_shell, name):
    build(products=12)
    prof = run(ip_shell, WAREHOUSE[name], Product=Product, Supplier=Supplier)
    assert_every_fix_verified(prof)


def test_a_fix_that_drops_a_filter_is_caught(ip_shell, monkeypatch):
    """A fix built by hand that drops the cell's filter: same calls added, more rows."""
    from kit.analysis import fixes

    def dropped_filter(self):
        return "Post.objects" + self.chain  # the cell's .filter(pk__lte=200) is gone

    monkeypatch.setattr(fixes.QuerysetFix, "code", property(dropped_filter))
    prof = run(ip_shell, GUIDE["part 1, the latest comments per post"], Post=Post)
    (verification,) = prof.verifications
    assert not verification.verified and not verification.same_output
    assert describe(verification).startswith("not verified: the output differs")
