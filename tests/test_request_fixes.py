"""Template, serializer and admin N+1s get their fix where it belongs, and the fix works:
applied as printed, the N+1 is gone and the page shows the same thing.

Through Django's test client, on the sample app and on the warehouse test project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib import admin
from django.db.models import Count, Prefetch, Q
from django.template import Context, Template
from django.template.loader import get_template
from django.test import Client

import kit
from kit.analysis.viewsource import class_queryset, function_queryset, loop_variable
from sample_app.blog import api, serializers, views
from sample_app.blog.models import Comment, Post
from tests.requests_helpers import (
    admin_client,
    empty_cache,  # noqa: F401 - an autouse fixture
    get,
)
from tests.warehouse import views as warehouse_views
from tests.warehouse.data import build
from tests.warehouse.models import Product

pytestmark = pytest.mark.django_db(databases=["default", "other"])

DJANGO_MODELS = {"Count": Count, "Prefetch": Prefetch, "Q": Q}


def n_plus_one_findings(p: kit.Profile) -> list[kit.Finding]:
    return [f for f in p.findings if f.kind == "n_plus_one"]


def right_hand_side(suggestion: str, head: str) -> str:
    assert suggestion.startswith(head), suggestion
    return suggestion[len(head) :]


def evaluated(expression: str, module: object) -> object:
    return eval(expression, {**vars(module), **DJANGO_MODELS})


def test_function_view_template_n_plus_one_is_fixed_in_the_views_assignment():
    p = get("/posts/")
    (finding,) = n_plus_one_findings(p)
    line = views.post_list.__code__.co_firstlineno + 3
    assert f"the view post_list (views.py:{line})" in finding.message
    assert "at blog/post_list.html:" in finding.message
    assert finding.suggestion == (
        'posts = Post.objects.filter(published=True).order_by("-created_at")'
        ".select_related('author', 'category').prefetch_related('tags')"
        ".annotate(comments_count=Count('comments'))[:POSTS_PER_PAGE]"
    )
    assert "read post.comments_count instead of post.comments.count()" in finding.notes
    # Applied as printed, with the note's change to the template: two queries, the same page.
    fixed = evaluated(right_hand_side(finding.suggestion, "posts = "), views)
    source = Path(get_template("blog/post_list.html").origin.name).read_text()
    original = Template(source).render(
        Context({"posts": Post.objects.filter(published=True).order_by("-created_at")[:20]})
    )
    template = Template(source.replace("post.comments.count", "post.comments_count"))
    with kit.profile() as after:
        page = template.render(Context({"posts": fixed}))
    assert after.query_count == 2 and after.n_plus_one == []
    assert page == original


def test_class_based_view_template_n_plus_one_goes_to_its_queryset_as_a_prefetch():
    post = (
        Post.objects.filter(published=True)
        .annotate(n=Count("comments"))
        .filter(n__gte=3)
        .order_by("pk")
        .first()
    )
    assert post is not None
    p = get(f"/posts/{post.pk}/")
    (finding,) = n_plus_one_findings(p)
    assert "the view PostDetailView (views.py:" in finding.message
    assert finding.suggestion == (
        "queryset = Post.objects.filter(published=True).prefetch_related("
        "Prefetch('comments', queryset=Comment.objects.select_related('user')))"
    )
    assert "from django.db.models import Prefetch" in finding.notes
    client = Client()
    before = client.get(f"/posts/{post.pk}/").content
    fixed = evaluated(right_hand_side(finding.suggestion, "queryset = "), views)
    original = views.PostDetailView.queryset
    try:
        views.PostDetailView.queryset = fixed
        with kit.profile() as after:
            response = client.get(f"/posts/{post.pk}/")
    finally:
        views.PostDetailView.queryset = original
    assert after.n_plus_one == [] and after.query_count < p.query_count
    assert response.content == before
    assert Comment.objects.filter(post=post).count() >= 3


def test_serializer_n_plus_one_nested_and_method_field_is_fixed_in_the_viewsets_queryset(
    monkeypatch,
):
    p = get("/api/posts/")
    (finding,) = n_plus_one_findings(p)
    assert "the view PostViewSet (api.py:" in finding.message
    assert "serialized by PostSerializer" in finding.message
    assert "at PostSerializer.author" in finding.message
    assert "at PostSerializer.comment_count" in finding.message
    assert finding.suggestion == (
        'queryset = Post.objects.filter(published=True).order_by("-created_at", "pk")'
        ".select_related('author', 'category').prefetch_related('tags')"
        ".annotate(comments_count=Count('comments'))"
    )
    # The note says which method to change, with the serializer's name, not a model's.
    assert any(
        note.startswith(
            "read post.comments_count instead of post.comments.count() "
            "in PostSerializer.get_comment_count() ("
        )
        and "serializers.py:" in note
        for note in finding.notes
    ), finding.notes
    before = Client().get("/api/posts/").json()
    fixed = evaluated(right_hand_side(finding.suggestion, "queryset = "), api)
    monkeypatch.setattr(api.PostViewSet, "queryset", fixed)
    # The note, applied: the method field reads the annotation.
    monkeypatch.setattr(
        serializers.PostSerializer, "get_comment_count", lambda self, post: post.comments_count
    )
    with kit.profile() as after:
        response = Client().get("/api/posts/")
    assert after.n_plus_one == []
    assert after.query_count == 3  # the page's count, the posts with their joins, their tags
    assert json.loads(response.content) == before


def fixed_admin(suggestion: str, base: type) -> type:
    namespace: dict[str, object] = {"Base": base, **DJANGO_MODELS}
    body = "".join(f"    {line}\n" for line in suggestion.splitlines())
    exec(f"class Fixed(Base):\n{body}", namespace)
    return namespace["Fixed"]  # type: ignore[return-value]


def test_admin_changelist_gets_list_select_related_and_get_queryset(monkeypatch):
    client = admin_client()
    p = get("/admin/blog/post/", client)
    (finding,) = n_plus_one_findings(p)
    assert "PostAdmin's changelist (admin.py:" in finding.message
    assert "User.profile (reverse one-to-one): " in finding.message
    assert "at PostAdmin.author_location" in finding.message
    assert finding.suggestion == (
        "list_select_related = ('category', 'author__profile')\n"
        "\n"
        "def get_queryset(self, request):\n"
        "    return super().get_queryset(request).prefetch_related('tags')"
        ".annotate(comments_count=Count('comments'))"
    )
    # Django's own select_related() loaded author and category: the list keeps them.
    assert any("keeps author, category" in note for note in finding.notes)
    (count,) = [f for f in p.findings if f.kind == "admin_count"]
    assert count.suggestion == "show_full_result_count = False"
    # Applied as printed (with the note for the counting column), and the second COUNT off:
    before = client.get("/admin/blog/post/").content
    model_admin = admin.site._registry[Post]
    fixed = fixed_admin(finding.suggestion + "\nshow_full_result_count = False", type(model_admin))
    fixed.comment_count = lambda self, post: post.comments_count  # type: ignore[attr-defined]
    fixed.comment_count.short_description = "comments"  # type: ignore[attr-defined]
    monkeypatch.setattr(model_admin, "__class__", fixed)
    with kit.profile() as after:
        response = client.get("/admin/blog/post/")
    assert after.n_plus_one == []
    assert [f.kind for f in after.findings if f.kind in ("n_plus_one", "admin_count")] == []
    assert after.query_count == 5  # session, user, one COUNT, the rows with their joins, tags
    strip = lambda html: html.replace(b" (100 total)", b"").replace(b"100 total", b"")  # noqa: E731
    assert response.status_code == 200 and len(response.content) > 1000
    assert strip(response.content).count(b"<tr") == strip(before).count(b"<tr")


def test_admin_with_its_own_list_select_related_keeps_it():
    p = get("/admin/blog/comment/", admin_client())
    (finding,) = n_plus_one_findings(p)
    assert finding.suggestion == "list_select_related = ('user', 'post')"
    # The duplicate COUNT is the admin's finding, not a generic repeat.
    assert [f.kind for f in p.findings].count("duplicate") == 0
    assert [f.kind for f in p.findings].count("admin_count") == 1


def test_no_lazy_or_aggregate_finding_for_what_django_evaluated():
    p = get("/admin/blog/post/", admin_client())
    assert {f.kind for f in p.findings} <= {"n_plus_one", "admin_count", "duplicate"}
    p = get("/api/posts/")
    assert "len" not in {f.kind for f in p.findings}


# The warehouse: a custom manager, get_queryset(), ListAPIView, a nullable foreign key column.


def test_warehouse_function_view_fix_keeps_the_custom_manager():
    build(products=9)
    p = get("/warehouse/catalogue/")
    (finding,) = n_plus_one_findings(p)
    assert finding.suggestion == (
        'items = Product.available.cheap().order_by("sku")'
        ".select_related('vendor', 'zone', 'spec').prefetch_related('labels')"
    )
    fixed = evaluated(right_hand_side(finding.suggestion, "items = "), warehouse_views)
    original = list(Product.available.cheap().order_by("sku"))
    template = get_template("warehouse/catalogue.html")
    with kit.profile() as after:
        page = template.render({"items": fixed})
    assert after.query_count == 2 and list(fixed) == original
    assert page == template.render({"items": Product.available.cheap().order_by("sku")})


def test_warehouse_class_view_fix_goes_to_the_return_of_get_queryset():
    build(products=6)
    p = get("/warehouse/stock/")
    (finding,) = n_plus_one_findings(p)
    line = warehouse_views.StockListView.get_queryset.__code__.co_firstlineno + 1
    assert f"the view StockListView (views.py:{line})" in finding.message
    assert finding.suggestion.startswith('return Product.objects.order_by("sku").select_related(')


def test_warehouse_list_api_view_fix_goes_to_its_queryset():
    build(products=5)
    p = get("/warehouse/api/products/")
    (finding,) = n_plus_one_findings(p)
    assert "serialized by ProductSerializer" in finding.message
    assert finding.suggestion.startswith(
        "queryset = Product.objects.order_by(\"sku\").select_related('vendor')"
    )


def test_warehouse_admin_nullable_foreign_key_and_counting_column(monkeypatch):
    build(products=8)
    client = admin_client()
    p = get("/admin/warehouse/product/", client)
    (finding,) = n_plus_one_findings(p)
    assert finding.suggestion == (
        "list_select_related = ('vendor', 'zone', 'spec')\n"
        "\n"
        "def get_queryset(self, request):\n"
        "    return super().get_queryset(request).annotate(labels_count=Count('labels'))"
    )
    model_admin = admin.site._registry[Product]
    fixed = fixed_admin(finding.suggestion, type(model_admin))
    fixed.label_count = lambda self, product: product.labels_count  # type: ignore[attr-defined]
    monkeypatch.setattr(model_admin, "__class__", fixed)
    with kit.profile() as after:
        response = client.get("/admin/warehouse/product/")
    assert response.status_code == 200
    assert after.n_plus_one == []


# Reading a view's source: table-driven, no database.

CLASS_VIEWS = """
class A(ListView):
    queryset = Post.objects.filter(
        published=True,
    )

class B(ListView):
    def get_queryset(self):
        qs = super().get_queryset()
        return qs.filter(x=1)

class C(ListView):
    model = Post

class D(ListView):
    def get_queryset(self):
        if self.x:
            return Post.objects.all()
        return Post.objects.none()

class Outer:
    class Inner(ListView):
        queryset = Tag.objects.all()
"""


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        ("app.views.A", (3, "queryset = ", "Post.objects.filter(published=True)", None)),
        ("app.views.B", (10, "return ", "qs.filter(x=1)", None)),
        ("app.views.C", (13, "queryset = ", None, "Post")),
        ("app.views.D", (16, "def get_queryset", None, None)),
        ("app.views.Outer.Inner", (23, "queryset = ", "Tag.objects.all()", None)),
        ("app.views.Missing", None),
    ],
)
def test_class_queryset(dotted, expected):
    site = class_queryset(CLASS_VIEWS, dotted)
    assert (site and (site.lineno, site.head, site.expression, site.model_only)) == expected


FUNCTION_VIEWS = """
def helper():
    return (Post.objects
            .filter(published=True))

@login_required
def a(request):
    posts = Post.objects.all()
    drafts = Post.objects.filter(published=False)
    return render(request, "a.html", {"posts": posts, "drafts": drafts})

def b(request):
    return render(request, "b.html", {"recent": Comment.objects.all()[:5]})

def c(request):
    return render(request, "c.html", {"posts": helper()})
"""


@pytest.mark.parametrize(
    ("lineno", "model", "name", "expected"),
    [
        (6, "Post", "posts", (8, "posts = ", "Post.objects.all()")),
        (7, "Post", "drafts", (9, "drafts = ", "Post.objects.filter(published=False)")),
        (7, "Post", None, (9, "drafts = ", "Post.objects.filter(published=False)")),
        (12, "Comment", "recent", (13, '"recent": ', "Comment.objects.all()[:5]")),
        (15, "Post", "posts", (3, "return ", "Post.objects.filter(published=True)")),
        (12, "Post", None, None),
    ],
)
def test_function_queryset(lineno, model, name, expected):
    site = function_queryset(FUNCTION_VIEWS, lineno, model, name)
    assert (site and (site.lineno, site.head, site.expression)) == expected


@pytest.mark.parametrize(
    ("code", "variable"),
    [
        ("{% for post in posts %}", "posts"),
        ("{% for a, b in pairs.items %}", "pairs"),
        ("{% for x in page.object_list|slice:':3' %}", "page"),
        ("{{ post.title }}", None),
        (None, None),
    ],
)
def test_loop_variable(code, variable):
    assert loop_variable(code) == variable


def test_a_function_view_called_without_a_request_gets_the_same_fix():
    from django.test import RequestFactory

    with kit.profile() as p:
        views.post_list(RequestFactory().get("/posts/"))
    (finding,) = n_plus_one_findings(p)
    assert "queryset of post_list() (views.py:" in finding.message
    assert finding.suggestion == n_plus_one_findings(get("/posts/"))[0].suggestion
