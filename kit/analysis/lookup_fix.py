"""A get() by primary key once per value of a loop: one in_bulk() before the loop.

`for key in keys: obj = Model.objects.get(pk=key)` sends one SELECT per key; in_bulk(keys) reads
them all (in batches where the database limits a query's parameters) into a dict keyed by pk,
composite primary keys (Django 5.2) included. Only that form gets code: a get() on another
field needs the field to be unique, which the records do not say.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.view_fixes import FileText
from kit.analysis.write_source import read_write_site
from kit.capture.records import QueryRecord

__all__ = ["LookupFix", "in_bulk_fix"]


@dataclass(frozen=True)
class LookupFix:
    """The line to put before the loop, and how the loop then reads each object."""

    code: str
    notes: tuple[str, ...]


def in_bulk_fix(record: QueryRecord, file_text: FileText | None) -> LookupFix | None:
    """The in_bulk() form of the get(pk=<loop variable>) at record's line, else None."""
    if file_text is None or record.source_file is None or record.evaluation != "get":
        return None
    site = read_write_site(file_text(record.source_file), record.source_lineno, frozenset({"get"}))
    if site is None or site.loop_target is None or not site.loop_iter or site.args:
        return None
    if site.keywords != (("pk", site.loop_target),):
        return None
    # Named after the model the queries read (a related manager's receiver names its owner).
    model = (record.model or "").rpartition(".")[2]
    name = f"{model.lower()}_by_pk" if model.isidentifier() else "found"
    call = f"{site.receiver}.get(pk={site.loop_target})"
    return LookupFix(
        f"{name} = {site.receiver}.in_bulk({site.loop_iter})",
        (
            f"before the loop; in it, read {name}[{site.loop_target}] in place of {call}: "
            "a missing key raises KeyError there, where get() raised DoesNotExist.",
        ),
    )
