"""Queries of a request: which ones the user's code evaluated, and which Django (a template, a
serializer, the admin, a generic view) evaluated on the view's behalf."""

from __future__ import annotations

from kit.capture.records import QueryRecord

__all__ = ["evaluated_by_django"]

# The outermost ORM function the user's code called, when it evaluated a queryset itself:
# a QuerySet or Model method, a manager method (Django generates them per QuerySet method), a
# related manager's. Anything else (render(), Client.get, a template tag) is Django's code.
_ORM_ENTRIES = ("QuerySet.", "Model.", "BaseManager.")
_ORM_ENTRY_PARTS = ("manager_method", "RelatedManager.", "ManyRelatedManager.")


def evaluated_by_django(record: QueryRecord) -> bool:
    """True for a query of a request that Django's or a library's code evaluated, not the
    user's: a template's {% for %}, a serializer's list, the admin's changelist, a paginator."""
    if record.view is None:
        return False
    if record.rendered_from is not None:
        return True
    entry = record.entry
    if entry is None:
        return False  # the user's own frame sent it (a raw cursor)
    return not (entry.startswith(_ORM_ENTRIES) or any(p in entry for p in _ORM_ENTRY_PARTS))
