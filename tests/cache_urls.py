"""Views for the cache tests: a cache_page view, one that varies on a cookie, a {% cache %}
fragment, and the guide's manual cache of a category's posts (ROOT_URLCONF in those tests)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.cache import cache_page
from django.views.decorators.vary import vary_on_cookie

from sample_app.blog.models import Post

FRAGMENT = engines["django"].from_string(
    "<ul>\n{% load cache %}{% cache 60 top_posts stamp %}"
    "{% for post in posts %}<li>{{ post.title }}</li>{% endfor %}{% endcache %}</ul>"
)


def top_titles() -> str:
    return ",".join(Post.objects.order_by("-view_count", "pk").values_list("title", flat=True)[:3])


@cache_page(60)
def popular(request: HttpRequest) -> HttpResponse:
    return HttpResponse(top_titles())


@cache_page(60)
@vary_on_cookie
def per_visitor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(top_titles())


def fragment(request: HttpRequest) -> HttpResponse:
    # The fragment varies on `stamp`: from the query string, else a cookie (one per visitor).
    stamp = request.GET.get("stamp") or request.COOKIES.get("visitor", "")
    context = {"posts": Post.objects.order_by("pk")[:3], "stamp": stamp}
    return HttpResponse(FRAGMENT.render(context, request))


def category_posts(category_id: int) -> list[str]:
    """The guide's manual caching, per category."""
    key = f"category_posts_{category_id}"
    titles = cache.get(key)
    if titles is None:
        titles = list(
            Post.objects.filter(category_id=category_id)
            .order_by("pk")
            .values_list("title", flat=True)[:5]
        )
        cache.set(key, titles, 300)
    return titles


def category(request: HttpRequest, category_id: int) -> HttpResponse:
    return HttpResponse(",".join(category_posts(category_id)))


urlpatterns = [
    path("popular/", popular, name="popular"),
    path("per-visitor/", per_visitor, name="per-visitor"),
    path("fragment/", fragment, name="fragment"),
    path("category/<int:category_id>/", category, name="category"),
]
