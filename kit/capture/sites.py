"""Where Django was rendering when a query ran: the template line, the serializer field, the
admin column and the view, read from the frames the stack walk passed (kit.capture.codes
PLACES) and kept as one small index per query.

What is read (Django 4.2 and 5.2, DRF 3.14+; kit.capture.codes names the functions):
- Node.render_annotated's `self`: a template node, whose `token` (lineno, contents, token_type)
  and `origin` (template_name, name: the file) the template Parser sets on every node it makes.
  As django-debug-toolbar's template info does, the innermost node wins; but only a node of the
  user's own template (not an installed package's, such as the admin's).
- Serializer.to_representation's `self` and `field`: the serializer and the field it is filling.
- items_for_result's `cl` and `field_name` (the changelist column being drawn), results()'s
  `cl` (the changelist's list), ChangeList.get_results' `self`, where a bound `result_count`
  means the second COUNT has started (the one show_full_result_count asks for), and
  ModelAdmin.changelist_view's `self` (its len(cl.result_list) runs the list's query).
- BaseHandler._get_response's `callback` (kit.capture.viewrefs).
A local of another shape reads as nothing: never an error in the user's query.
"""

from __future__ import annotations

import threading
from types import FrameType
from typing import Any

from django.template.base import TokenType
from django.template.defaulttags import ForNode

from kit.capture.codes import ADMIN, SERIALIZER, TEMPLATE, VIEW, is_library_file
from kit.capture.records import ViewRef
from kit.capture.viewrefs import view_ref

# (template, template_code, serializer, admin, view) of a query: see QueryRecord.
Site = tuple[str | None, str | None, str | None, str | None, ViewRef | None]
# (place, code, the user's template, a {% for %} node) of a template node.
_NodeFacts = tuple[str, str, bool, bool]

_UNKNOWN_SHAPE = (AttributeError, TypeError, LookupError, ValueError)

# A row holds its site as an index into _sites (as it holds its relation: kit.capture.relations
# says why), so that a loop's queries share one tuple. Never cleared: rows not yet built into
# records point into it. Past MAX_SITES new places are not named (a project whose templates are
# built from strings per request must not grow it without end).
_sites: list[Site] = []
_index: dict[tuple[Any, ...], int] = {}
MAX_SITES = 100_000
# id(node) -> (node, its facts); nodes live as long as their compiled template.
_by_node: dict[int, tuple[Any, _NodeFacts | None]] = {}
MAX_NODES = 8192
_lock = threading.Lock()


def site_at(index: int | None) -> Site | None:
    """The site a row's index names (None: no place was seen)."""
    return None if index is None else _sites[index]


def read_site(places: list[tuple[int, FrameType]]) -> tuple[int | None, int]:
    """(index of the site, position in places of the innermost template node when it is a
    {% for %}, else -1) from the place frames of one query, innermost first."""
    template = code = serializer = admin = None
    view: ViewRef | None = None
    for_at = -1
    seen_template = False
    for position, (slot, frame) in enumerate(places):
        try:
            if slot == TEMPLATE:
                if template is not None:
                    continue
                facts = _node_facts(frame.f_locals.get("self"))
                if facts is None:
                    continue
                if not seen_template:
                    seen_template = True
                    for_at = position if facts[3] else -1
                if facts[2]:
                    template, code = facts[0], facts[1]
            elif slot == SERIALIZER and serializer is None:
                serializer = _serializer_field(frame.f_locals)
            elif slot == ADMIN and admin is None:
                admin = _admin_column(frame)
            elif slot == VIEW and view is None:
                view = view_ref(frame.f_locals.get("callback"))
        except _UNKNOWN_SHAPE:
            continue
    if template is None and serializer is None and admin is None and view is None:
        return None, for_at
    return _intern((template, code, serializer, admin, view)), for_at


def _intern(site: Site) -> int | None:
    view = site[4]
    # ViewRefs are cached per view: their identity is their value, and hashing one field by
    # field would cost more than the rest of the key.
    key = (*site[:4], None if view is None else id(view))
    index = _index.get(key)
    if index is None:
        with _lock:
            index = _index.get(key)
            if index is None:
                if len(_sites) >= MAX_SITES:
                    return None
                index = _index[key] = len(_sites)
                _sites.append(site)
    return index


def _node_facts(node: Any) -> _NodeFacts | None:
    cached = _by_node.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    facts = None
    token, origin = getattr(node, "token", None), getattr(node, "origin", None)
    if token is not None and origin is not None:
        name = origin.template_name or origin.name
        if token.token_type == TokenType.VAR:
            code = "{{ " + token.contents + " }}"
        else:
            code = "{% " + token.contents + " %}"
        user = not is_library_file(str(origin.name))
        facts = (f"{name}:{token.lineno}", code, user, isinstance(node, ForNode))
    with _lock:
        if len(_by_node) >= MAX_NODES:
            _by_node.clear()
        _by_node[id(node)] = (node, facts)
    return facts


def _serializer_field(locals_: dict[str, Any]) -> str | None:
    serializer, field = locals_.get("self"), locals_.get("field")
    if serializer is None or field is None:
        return None
    return f"{type(serializer).__qualname__}.{field.field_name}"


def _admin_column(frame: FrameType) -> str | None:
    locals_ = frame.f_locals
    function = frame.f_code.co_name
    column = None
    if function == "changelist_view":
        model_admin = locals_.get("self")
    elif function == "get_results":
        model_admin = getattr(locals_.get("self"), "model_admin", None)
        if "result_count" in locals_:
            column = "show_full_result_count"
    else:  # items_for_result (drawing a column) or results (the list itself)
        model_admin = getattr(locals_.get("cl"), "model_admin", None)
        column = locals_.get("field_name")
    if model_admin is None:
        return None
    name = type(model_admin).__qualname__
    return f"{name}.{column}" if isinstance(column, str) else name
