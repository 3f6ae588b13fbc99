"""Which `{% cache %}` fragment or `cache_page` view made a cache call, read from the stack.

Looked for only when the code that called the cache is Django's fragment tag or its cache
middleware (one dict lookup on the caller's globals per call); then the frames above say the
fragment, the view and the request.
"""

from __future__ import annotations

from types import FrameType
from typing import Any, NamedTuple

# The modules whose functions call the cache for a fragment or a page (Django 5.2):
# CacheNode.render; FetchFromCacheMiddleware.process_request and UpdateCacheMiddleware
# .process_response (cache_page is CacheMiddleware as a view decorator); get_cache_key and
# learn_cache_key, which they call for the header list.
FRAGMENT_MODULE = "django.templatetags.cache"
PAGE_MODULES = frozenset({"django.middleware.cache", "django.utils.cache"})
DECORATORS_MODULE = "django.utils.decorators"
# How far above the middleware to look for the request, the view and the response.
MAX_FRAMES = 40
MAX_REPR = 60


class Issuer(NamedTuple):
    """The fragment or page behind a cache call, as strings (the request is kept apart)."""

    fragment: str | None
    view: str | None
    request: str | None
    vary_on: tuple[str, ...]


def issuer_of(caller: FrameType) -> tuple[Issuer, Any] | None:
    """(what issued the call, the HttpRequest or None) when Django's fragment tag or cache
    middleware called the cache from `caller`, else None."""
    module = caller.f_globals.get("__name__")
    if module == FRAGMENT_MODULE:
        return _fragment(caller)
    if module in PAGE_MODULES:
        return _page(caller)
    return None


def _fragment(frame: FrameType) -> tuple[Issuer, Any]:
    # CacheNode.render's locals: self (the node: fragment_name, and origin and token, which the
    # template parser sets on every node), context, and vary_on (the resolved values).
    local = frame.f_locals
    node = local.get("self")
    name = getattr(node, "fragment_name", None)
    origin = getattr(node, "origin", None)
    template = getattr(origin, "template_name", None) or getattr(origin, "name", None)
    token = getattr(node, "token", None)
    place = f" ({template}:{token.lineno})" if template and token is not None else ""
    request = getattr(local.get("context"), "request", None)
    vary = tuple(_short(value) for value in local.get("vary_on") or ())
    fragment = f"{name}{place}" if name is not None else None
    return Issuer(fragment, _view_name(_resolved_view(request)), _describe(request), vary), request


def _page(frame: FrameType) -> tuple[Issuer, Any]:
    request = view = response = None
    current: FrameType | None = frame
    for _ in range(MAX_FRAMES):
        if current is None or not current.f_globals.get("__name__", "").startswith("django."):
            break  # the user's code: the page's frames are all Django's
        local = current.f_locals
        if request is None and _is_request(local.get("request")):
            request = local["request"]
        if response is None:
            response = next(
                (v for v in (local.get("response"), local.get("r")) if _is_response(v)), None
            )
        # cache_page is make_middleware_decorator(CacheMiddleware): its closures' view_func is
        # the view (the wrapper is _view_wrapper in Django 5.2, _wrapped_view before 5.0).
        if view is None and current.f_globals.get("__name__") == DECORATORS_MODULE:
            view = local.get("view_func")
            if view is not None and request is not None:
                break  # the response, if any, is below the view: nothing more to find above
        current = current.f_back
    if view is None:
        view = _resolved_view(request)
    vary = (
        tuple(h.strip() for h in response["Vary"].split(","))
        if response is not None and response.has_header("Vary")
        else ()
    )
    return Issuer(None, _view_name(view), _describe(request), vary), request


def _is_request(value: Any) -> bool:
    return hasattr(value, "method") and hasattr(value, "get_full_path")


def _is_response(value: Any) -> bool:
    return hasattr(value, "has_header") and hasattr(value, "status_code")


def _resolved_view(request: Any) -> Any:
    match = getattr(request, "resolver_match", None)
    return getattr(match, "func", None)


def _view_name(view: Any) -> str | None:
    """ "blog.views.post_list"; a class-based view by its class."""
    if view is None:
        return None
    view = getattr(view, "view_class", view)
    module = getattr(view, "__module__", None)
    name = getattr(view, "__qualname__", None) or type(view).__qualname__
    return f"{module}.{name}" if module else name


def _describe(request: Any) -> str | None:
    if request is None:
        return None
    return f"{request.method} {request.get_full_path()}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"
