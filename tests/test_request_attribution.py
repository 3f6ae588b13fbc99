"""Queries of a request carry where Django rendered them from: the template and line, the
serializer field, the admin column, the view; the line shown is the user's, never a library's.

Through Django's test client, on the sample app and on the warehouse test project."""

from __future__ import annotations

import inspect
import os
import re

import pytest
from django.template.loader import render_to_string
from django.test import override_settings

import kit
from kit.capture import codes
from sample_app.blog import views
from sample_app.blog.models import Comment, Post
from tests.requests_helpers import (
    admin_client,
    empty_cache,  # noqa: F401 - an autouse fixture
    get,
    template_line,
    with_relation,
)
from tests.warehouse.data import build

pytestmark = pytest.mark.django_db(databases=["default", "other"])

LIBRARY_PARTS = ("site-packages", "dist-packages", f"{os.sep}django{os.sep}")


def assert_user_lines_only(p: kit.Profile) -> None:
    for q in p.queries:
        assert q.source_file is None or not any(part in q.source_file for part in LIBRARY_PARTS)


def test_a_function_views_template_queries_carry_the_template_line_and_the_view():
    p = get("/posts/")
    authors = with_relation(p, "blog.Post.author")
    assert len(authors) == views.POSTS_PER_PAGE
    author_line = template_line("blog/post_list.html", "post.author.username")
    assert {q.template for q in authors} == {author_line}
    assert {q.template_code for q in authors} == {"{{ post.author.username }}"}
    view = authors[0].view
    assert view is not None and view.kind == "function"
    assert view.name == "sample_app.blog.views.post_list"
    assert view.lineno == views.post_list.__code__.co_firstlineno
    # The user's line behind them: the view's render() call, not Django's.
    assert authors[0].source_file == views.__file__
    # {% for %} asks len() first, then uses every row: it is an iteration, at the for tag.
    (root,) = [q for q in p.queries if q.model == "blog.Post" and q.relation is None]
    assert root.trigger == "iteration"
    assert root.template == template_line("blog/post_list.html", "{% for post in posts %}")
    assert_user_lines_only(p)


def test_a_class_based_views_template_queries_carry_the_template_line_and_the_view():
    post = Post.objects.filter(published=True, comments__isnull=False).order_by("pk").first()
    assert post is not None
    p = get(f"/posts/{post.pk}/")
    users = with_relation(p, "blog.Comment.user")
    assert len(users) == Comment.objects.filter(post=post).count() >= 1
    assert {q.template for q in users} == {
        template_line("blog/post_detail.html", "comment.user.username")
    }
    view = users[0].view
    assert view is not None and (view.kind, view.name) == (
        "class",
        "sample_app.blog.views.PostDetailView",
    )
    assert view.file == views.__file__
    assert view.lineno == inspect.getsourcelines(views.PostDetailView)[1]
    # A TemplateResponse renders after the view returns: no frame of the user's is on the stack
    # but the test's own line, which is not where the query came from.
    assert users[0].rendered_from == users[0].template
    assert_user_lines_only(p)


def test_a_drf_serializers_queries_carry_the_serializer_field():
    p = get("/api/posts/")
    assert {q.serializer for q in with_relation(p, "blog.Post.author")} == {
        "PostSerializer.author"
    }
    assert {q.serializer for q in with_relation(p, "blog.Post.tags")} == {"PostSerializer.tags"}
    counts = with_relation(p, "blog.Post.comments")
    assert {q.serializer for q in counts} == {"PostSerializer.comment_count"}
    # The method field's line is the user's serializer, not rest_framework/fields.py.
    from sample_app.blog import serializers

    assert {q.source_file for q in counts} == {serializers.__file__}
    assert {q.view.name for q in p.queries if q.view} == {"sample_app.blog.api.PostViewSet"}
    assert_user_lines_only(p)


def test_admin_changelist_queries_carry_the_model_admin_and_the_column():
    client = admin_client()
    p = get("/admin/blog/post/", client)
    columns = {q.admin for q in p.queries if q.admin}
    assert {
        "PostAdmin",
        "PostAdmin.show_full_result_count",
        "PostAdmin.author_location",
        "PostAdmin.comment_count",
        "PostAdmin.tag_list",
    } == columns
    counts = [q for q in p.queries if q.trigger == "count" and q.model == "blog.Post"]
    assert [q.admin for q in counts] == ["PostAdmin", "PostAdmin.show_full_result_count"]
    view = counts[0].view
    assert view is not None and (view.kind, view.model) == ("admin", "blog.Post")
    # "author" is a column: Django's changelist select_related()s every non-null foreign key.
    assert dict(view.loads) == {"author": "auth.User", "category": "blog.Category"}
    assert_user_lines_only(p)


def test_the_admin_loads_exactly_a_list_select_related():
    p = get("/admin/blog/comment/", admin_client())
    view = next(q.view for q in p.queries if q.view and q.admin)
    assert view.loads == (("user", "auth.User"),)
    assert {q.admin for q in with_relation(p, "blog.Comment.post")} == {"CommentAdmin.post_title"}


def test_a_template_rendered_outside_a_request_is_attributed_too():
    posts = Post.objects.order_by("pk")[:4]
    with kit.profile() as p:
        render_to_string("blog/popular_posts.html", {"posts": posts})
    categories = with_relation(p, "blog.Post.category")
    assert len(categories) == 4
    assert {q.template for q in categories} == {
        template_line("blog/popular_posts.html", "post.category.name")
    }
    assert {q.view for q in categories} == {None}


def test_a_query_outside_templates_and_requests_has_no_site():
    with kit.profile() as p:
        [post.author_id for post in Post.objects.all()[:3]]
    (query,) = p.queries
    assert (query.template, query.serializer, query.admin, query.view) == (None,) * 4


# The warehouse: other names, a custom manager, get_queryset(), a model method per row.


def test_warehouse_function_view_over_a_custom_manager():
    made = build(products=9)
    p = get("/warehouse/catalogue/")
    zones = with_relation(p, "warehouse.Product.zone")
    assert len(zones) == 3  # Product.available.cheap(): 3 of the 9 cost under 10.00
    assert {q.template for q in zones} == {template_line("warehouse/catalogue.html", "item.zone")}
    assert {q.view.name for q in zones} == {"tests.warehouse.views.catalogue"}
    spec = with_relation(p, "warehouse.Product.spec")
    assert {q.template_code for q in spec} == {"{{ item.spec.weight_grams }}"}
    assert made.products == 9


def test_warehouse_class_view_and_a_model_method_called_by_its_template():
    build(products=6)
    p = get("/warehouse/stock/")
    totals = with_relation(p, "warehouse.Product.placements")
    assert len(totals) == 6
    # The user's line is the model's method; the template line that called it is found above.
    from tests.warehouse import models

    assert {q.source_file for q in totals} == {models.__file__}
    assert {q.template for q in totals} == {
        template_line("warehouse/stock.html", "product.placement_total")
    }
    assert {q.view.name for q in totals} == {"tests.warehouse.views.StockListView"}


def test_warehouse_serializer_nested_and_method_fields():
    build(products=5)
    p = get("/warehouse/api/products/")
    assert {q.serializer for q in with_relation(p, "warehouse.Product.vendor")} == {
        "ProductSerializer.vendor"
    }
    assert {q.serializer for q in with_relation(p, "warehouse.Product.labels")} == {
        "ProductSerializer.labels"
    }
    placed = with_relation(p, "warehouse.Product.placements")
    assert {q.serializer for q in placed} == {"ProductSerializer.placed"}
    assert len(placed) == 5
    assert_user_lines_only(p)


def test_warehouse_admin_columns():
    build(products=4)
    p = get("/admin/warehouse/product/", admin_client())
    assert {q.admin for q in with_relation(p, "warehouse.Product.zone")} == {
        "ProductAdmin.zone_name"
    }
    assert {q.admin for q in with_relation(p, "warehouse.Product.spec")} == {"ProductAdmin.weight"}
    assert {q.admin for q in with_relation(p, "warehouse.Product.labels")} == {
        "ProductAdmin.label_count"
    }
    view = next(q.view for q in p.queries if q.admin)
    # zone is nullable: select_related() with no arguments leaves it out.
    assert view.loads == (("vendor", "warehouse.Supplier"),)


# What "the user's code" is.


@pytest.mark.parametrize(
    ("module", "filename", "kind"),
    [
        ("rest_framework.fields", "/srv/app/rest_framework/fields.py", "internal"),
        ("acme.fields", "/usr/lib/python3/dist-packages/acme/fields.py", "internal"),
        ("acme.fields", "/opt/venv/lib/python3.11/site-packages/acme/fields.py", "internal"),
        ("json.decoder", "/anywhere/json/decoder.py", "internal"),
        ("__main__", "/home/me/script.py", "user"),
        ("__main__", "/opt/venv/lib/python3.11/site-packages/tool/__main__.py", "internal"),
        ("blog.views", "/home/me/site/blog/views.py", "user"),
        ("ipykernel_1.cell", "/tmp/ipykernel_1/3412441101.py", "user"),
    ],
)
def test_user_code_is_the_users_own_files(module, filename, kind):
    assert codes.classify(module, "f", filename)[1] == kind


def test_a_project_names_more_internal_and_more_user_code():
    try:
        codes.configure(internal=["acme.shared", "/srv/mono/libs"], user=["acme_billing"])
        assert codes.classify("acme.shared.util", "f", "/srv/mono/acme/shared/util.py")[1] == (
            "internal"
        )
        assert codes.classify("other", "f", "/srv/mono/libs/other.py")[1] == "internal"
        site = "/opt/venv/lib/python3.11/site-packages/acme_billing/api.py"
        assert codes.classify("acme_billing.api", "f", site)[1] == "user"
        assert codes.classify("acme_shared", "f", "/srv/mono/acme_shared.py")[1] == "user"
    finally:
        codes.configure()


def test_kit_internal_code_setting_moves_the_line_to_the_caller():
    with override_settings(KIT_INTERNAL_CODE=["sample_app.blog.serializers"]):
        p = get("/api/posts/")
    counts = with_relation(p, "blog.Post.comments")
    from sample_app.blog import serializers

    assert counts and serializers.__file__ not in {q.source_file for q in counts}
    assert {q.serializer for q in counts} == {"PostSerializer.comment_count"}
    # The next profile, without the setting, forgets it.
    assert serializers.__file__ in {
        q.source_file for q in with_relation(get("/api/posts/"), "blog.Post.comments")
    }


def test_a_bad_code_setting_is_one_clear_error():
    with override_settings(KIT_INTERNAL_CODE="acme"), pytest.raises(ValueError, match="lists"):
        get("/posts/")


def test_request_sites_survive_save_and_load(tmp_path):
    p = get("/admin/blog/post/", admin_client())
    loaded = kit.load(p.save(tmp_path / "admin.json"))
    assert loaded.queries == p.queries
    assert [f.message for f in loaded.findings] == [f.message for f in p.findings]
    frame = loaded.to_dataframe()
    assert set(frame["admin"].dropna()) >= {"PostAdmin.comment_count"}
    assert set(frame["view"].dropna()) == {"sample_app.blog.admin.PostAdmin"}


def test_a_notebook_cell_around_client_get_shows_the_template_lines_and_the_views_fix(ip_shell):
    from IPython.utils.capture import capture_output

    ip_shell.user_ns.pop("page", None)
    cell = (
        "%%orm_profile -o page\n"
        "from django.test import Client\n"
        "response = Client().get('/posts/')\n"
    )
    with capture_output() as captured:
        ip_shell.run_cell(cell).raise_error()
    p = ip_shell.user_ns["page"]
    assert p.query_count == 81
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    author_line = template_line("blog/post_list.html", "post.author.username")
    # The findings name the template lines, the cell line the request came from, the view.
    assert f"at {author_line} (called from line 3)" in html
    assert "the view post_list (views.py:" in html
    assert "posts = Post.objects.filter(published=True)" in html
    # The table by shape shows where each shape came from: the template line and its tag.
    assert f"{author_line} {{{{ post.author.username }}}}" in html


def test_the_readme_lists_the_sample_apps_pages_and_each_one_answers():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = re.findall(r"^\| `(/[^`]*)`", readme, re.M)
    assert listed[:3] == ["/posts/", "/posts/<pk>/", "/posts/popular/"]
    client = admin_client()
    published = Post.objects.filter(published=True).order_by("pk")[0].pk
    for url in listed:
        assert client.get(url.replace("<pk>", str(published))).status_code == 200, url


# The places the walk reads, and the locals it reads there, exist in the installed Django and DRF
# (kit.capture.sites names them): the next release that renames one fails here, not silently.
PLACE_LOCALS = {
    ("django.template.base", "Node.render_annotated"): {"self"},
    ("rest_framework.serializers", "Serializer.to_representation"): {"self", "field"},
    ("django.contrib.admin.templatetags.admin_list", "items_for_result"): {"cl", "field_name"},
    ("django.contrib.admin.templatetags.admin_list", "results"): {"cl"},
    ("django.contrib.admin.views.main", "ChangeList.get_results"): {"self", "result_count"},
    ("django.contrib.admin.options", "ModelAdmin.changelist_view"): {"self"},
    ("django.core.handlers.base", "BaseHandler._get_response"): {"callback"},
    ("django.core.handlers.base", "BaseHandler._get_response_async"): {"callback"},
    # Markers only (no local is read): a connection being set up, sync_to_async's thread.
    ("django.db.backends.base.base", "BaseDatabaseWrapper.connect"): set(),
    ("asgiref.sync", "SyncToAsync.thread_handler"): set(),
}


@pytest.mark.parametrize(("module", "qualname"), sorted(codes.PLACES))
def test_each_place_and_the_locals_read_there_exist(module, qualname):
    import importlib
    import inspect

    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    code = inspect.unwrap(target).__code__
    assert code.co_qualname == qualname
    assert PLACE_LOCALS[module, qualname] <= set(code.co_varnames)
