"""The bulk form of a write repeated in a loop, as advice and code naming model and fields.

save() -> update() or bulk_update(); create() -> bulk_create(); delete() -> one
QuerySet.delete(); get_or_create() -> one read and bulk_create(); update_or_create() and a
keyed update() per row -> bulk_create(update_conflicts=True, ...); an M2M add()/remove() per
row -> add(*objs)/remove(*objs) (or the through model's bulk_create for many owners).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kit.analysis.write_source import WriteSite

__all__ = ["WriteAdvice", "advise", "inserted_columns", "set_columns", "where_columns"]

_QUOTED = r'[`"]?(\w+)[`"]?'
_INSERT_COLUMNS = re.compile(r"INSERT\s+(?:OR\s+\w+\s+|IGNORE\s+)?INTO\s+\S+\s*\(([^)]*)\)", re.I)
_SET = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|$)", re.I | re.S)
_ASSIGNED_COLUMN = re.compile(_QUOTED + r"\s*=\s*")
_WHERE = re.compile(r"\bWHERE\b(.*)$", re.I | re.S)
_COMPARED = re.compile(r'(?:[`"]?\w+[`"]?\.)?' + _QUOTED + r"\s*(?:=|IN)\s*\(?%s", re.I)


def inserted_columns(sql: str) -> list[str]:
    """The columns an INSERT names, in order."""
    found = _INSERT_COLUMNS.search(sql)
    if found is None:
        return []
    return [c.strip().strip('`"') for c in found.group(1).split(",") if c.strip()]


def set_columns(sql: str) -> list[str]:
    """The columns an UPDATE sets, in order."""
    found = _SET.search(sql)
    return _ASSIGNED_COLUMN.findall(found.group(1)) if found else []


def where_columns(sql: str) -> list[str]:
    """The columns compared with a parameter in a statement's WHERE, in order."""
    found = _WHERE.search(sql)
    return list(dict.fromkeys(_COMPARED.findall(found.group(1)))) if found else []


@dataclass(frozen=True)
class WriteAdvice:
    """What to write instead: a sentence, the code (None when none can be written) and notes."""

    advice: str
    suggestion: str | None
    notes: tuple[str, ...] = ()


def _names(columns: list[str]) -> str:
    return "[" + ", ".join(f'"{c}"' for c in columns) + "]"


def _objs(site: WriteSite | None, fallback: str, item: str | None) -> str:
    """The loop's iterable when it is a plain name and `item` (the object written: the
    receiver of save(), the argument of add()) is the loop's own variable, else fallback: an
    object the loop fetches or builds (`for key in keys: obj = X.objects.get(pk=key)`) is not
    an element of the iterable."""
    if (
        site is not None
        and site.loop_iter
        and site.loop_iter.isidentifier()
        and item is not None
        and item == site.loop_target
    ):
        return site.loop_iter
    return fallback


def advise(
    trigger: str,
    model: str,
    sql: str,
    site: WriteSite | None,
    field: str | None = None,
    lookup: str | None = None,
) -> WriteAdvice:
    """The bulk form of `trigger` repeated per row on `model` (its class name); sql is the
    write the loop repeats most, lookup the SELECT each call reads first (get_or_create(),
    update_or_create()), field the related manager ("Product.labels") for add()/remove()."""
    builder = _BUILDERS.get(trigger)
    if builder is None:
        return WriteAdvice("Write the rows in one statement instead.", None)
    return builder(model, sql, site, field, lookup)


def _save(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    if sql.lstrip().upper().startswith("INSERT"):
        return _create(model, sql, site, field, lookup)
    fields = [a for a, _ in site.assigned] if site and site.assigned else set_columns(sql)
    fields = [f for f in fields if f != "id"]
    if (
        site is not None
        and site.constant
        and site.loop_iter
        and site.receiver == site.loop_target
        and (site.iter_is_queryset or not site.loop_iter.isidentifier())
    ):
        values = ", ".join(f"{a}={v}" for a, v in site.assigned)
        return WriteAdvice(
            "Every row gets the same values: one UPDATE does it, without loading the rows.",
            f"{site.loop_iter}.update({values})",
        )
    objs = _objs(site, f"{model.lower()}s", site.receiver if site else None)
    return WriteAdvice(
        f"Change the objects in the loop, then save them together with bulk_update() "
        f"(fields {', '.join(fields)}; it sends one UPDATE per batch).",
        f"{model}.objects.bulk_update({objs}, {_names(fields)})",
        ()
        if objs == (site.loop_iter if site else None)
        else (f"{objs}: a list of the {model} objects the loop changes.",),
    )


def _create(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    columns = inserted_columns(sql)
    advice = (
        f"Build the {model} objects ({', '.join(columns)}) and insert them with one "
        "bulk_create() (one INSERT per batch)."
    )
    if site is not None and site.method == "create" and site.loop_body_is_call and site.loop_iter:
        kwargs = ", ".join(f"{k}={v}" if k != "**" else f"**{v}" for k, v in site.keywords)
        return WriteAdvice(
            advice,
            f"{model}.objects.bulk_create([{model}({kwargs}) "
            f"for {site.loop_target} in {site.loop_iter}])",
        )
    objs = _objs(site, f"new_{model.lower()}s", site.receiver if site else None)
    return WriteAdvice(
        advice,
        f"{model}.objects.bulk_create({objs})",
        (f"{objs}: the {model}(...) objects the loop builds, unsaved.",),
    )


def _delete(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    advice = (
        "Delete them with one QuerySet.delete(): Django then deletes what cascades table by "
        "table for all of them, not per object."
    )
    if (
        site is not None
        and site.method == "delete"
        and site.loop_iter
        and not site.args
        and site.receiver == site.loop_target
    ):
        iterable = site.loop_iter
        if iterable.isidentifier():
            return WriteAdvice(
                advice, f"{model}.objects.filter(pk__in=[o.pk for o in {iterable}]).delete()"
            )
        return WriteAdvice(advice, f"{iterable}.delete()")
    return WriteAdvice(advice, f"{model}.objects.filter(pk__in=pks).delete()",
                       ("pks: the primary keys of the objects the loop deletes.",))  # fmt: skip


def _get_or_create(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    key = next(iter(where_columns(lookup or sql)), "pk")
    return WriteAdvice(
        f"Read the existing rows in one query (in_bulk on {key}), then insert the missing "
        "ones with one bulk_create().",
        f'existing = {model}.objects.in_bulk(values, field_name="{key}")\n'
        f"{model}.objects.bulk_create([{model}({key}=v) for v in values if v not in existing])",
        (f"values: the {key} values the loop looks up ({key} must be unique for in_bulk).",),
    )


def _upsert(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    """update_or_create() per row, or filter(key=...).update(...) per row: one upsert."""
    keys = [c for c in where_columns(lookup or sql) if c != "id"] or ["id"]
    updated = [c for c in set_columns(sql) or inserted_columns(sql) if c not in keys and c != "id"]
    if keys == ["id"]:  # keyed by primary key: the objects exist, so bulk_update them
        return _save(model, sql, site, field)
    rows = "[...]"
    if site is not None and site.loop_iter and site.loop_target:
        kwargs = ", ".join(f"{k}={v}" if k != "**" else f"**{v}" for k, v in site.keywords)
        if site.method == "update" and kwargs:
            rows = f"[{model}({kwargs}) for {site.loop_target} in {site.loop_iter}]"
    objs = rows if rows != "[...]" else f"new_{model.lower()}s"
    if not updated:  # nothing to update on a conflict: keep the rows that are there
        return WriteAdvice(
            f"Insert the missing rows in one statement per batch, keeping those already there "
            f"(keyed on {', '.join(keys)}).",
            f"{model}.objects.bulk_create({objs}, ignore_conflicts=True)",
            (f"{objs}: the {model} objects, unsaved.",) if objs != rows else (),
        )
    return WriteAdvice(
        f"Upsert them in one statement per batch: bulk_create(update_conflicts=True) (INSERT "
        f"... ON CONFLICT / ON DUPLICATE KEY UPDATE), keyed on {', '.join(keys)}.",
        f"{model}.objects.bulk_create({objs}, update_conflicts=True, "
        f"unique_fields={_names(keys)}, update_fields={_names(updated)})",
        (
            f"{', '.join(keys)} must be unique (a unique field or constraint); MariaDB and "
            "MySQL take no unique_fields (leave it out there).",
            *(() if objs == rows else (f"{objs}: the {model} objects, unsaved.",)),
        ),
    )


def _related(
    model: str, sql: str, site: WriteSite | None, field: str | None, lookup: str | None = None
) -> WriteAdvice:
    """add()/remove() per row: one call with every object, or the through rows at once."""
    method = site.method if site is not None else "add"
    if site is None or len(site.args) != 1:
        return WriteAdvice(f"Pass every object to one {method}(*objs) call.", None)
    owner, arg = site.receiver, site.args[0]
    target = site.loop_target or ""
    if not (target and re.search(rf"\b{re.escape(target)}\b", owner)):
        return WriteAdvice(
            f"Pass every object to one {method}() call: it writes them in one statement.",
            f"{owner}.{method}(*{_objs(site, f'{model.lower()}s', arg)})",
        )
    # A different owner per row: the links themselves, at once, through the through model.
    columns = [c for c in inserted_columns(sql) or where_columns(sql) if c.endswith("_id")]
    if field is None or len(columns) != 2 or not site.loop_iter:
        return WriteAdvice(
            f"Write the links at once with the through model instead of one {method}() per owner.",
            None,
        )
    source, other = (c[: -len("_id")] for c in columns)
    if method == "add":
        code = (
            f"Through = {field}.through\n"
            f"Through.objects.bulk_create([Through({source}={target}, {other}={arg}) "
            f"for {target} in {site.loop_iter}], ignore_conflicts=True)"
        )
    else:
        code = (
            f"{field}.through.objects.filter({source}__in={site.loop_iter}, {other}={arg})"
            ".delete()"
        )
    return WriteAdvice(
        f"The loop calls {method}() on another {field.partition('.')[0]} each time: write "
        "the links of all of them in one statement with the through model.",
        code,
    )


_BUILDERS = {
    "save": _save,
    "create": _create,
    "bulk_create": _create,
    "delete": _delete,
    "get_or_create": _get_or_create,
    "update_or_create": _upsert,
    "update": _upsert,
    "bulk_update": _save,
    "add": _related,
    "remove": _related,
}
