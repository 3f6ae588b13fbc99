"""What the findings need from Django and the database: models, sizes and indexes per table."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from django.apps import apps

from kit.explain.plan import PlanNode
from kit.explain.sqlrefs import sql_refs
from kit.explain.suggest import TableInfo


def plan_tables(root: PlanNode, sql: str) -> set[str]:
    """Every table the plan reads or the SQL names, aliases resolved."""
    refs = sql_refs(sql)
    found = {refs.table_of(node.relation) for _, node in root.walk() if node.relation}
    return found | {ref.table for ref in refs.refs}


def model_tables() -> dict[str, Any]:
    """Every installed model (auto-created through tables included), by its table name.

    Proxy and unmanaged models share their table with the concrete model: the index belongs
    in the concrete model's Meta, so it wins.
    """
    models = apps.get_models(include_auto_created=True)
    ranked = sorted(models, key=lambda m: m._meta.proxy or not m._meta.managed)
    tables: dict[str, Any] = {}
    for model in ranked:
        tables.setdefault(model._meta.db_table, model)
    return tables


def table_infos(
    connection: Any, cursor: Any, vendor: ModuleType, tables: Iterable[str]
) -> dict[str, TableInfo]:
    """TableInfo for the tables that belong to a model: fields, row count, existing indexes."""
    models = model_tables()
    known = sorted({t for t in tables if t in models})
    if not known:
        return {}
    rows = vendor.table_rows(connection, cursor, known)
    infos = {}
    for table in known:
        meta = models[table]._meta
        constraints = connection.introspection.get_constraints(cursor, table)
        infos[table] = TableInfo(
            table=table,
            model=meta.object_name,
            label=meta.label,
            fields=tuple((f.column, f.name) for f in meta.concrete_fields),
            rows=rows.get(table),
            indexes=tuple(
                tuple(c["columns"])
                for c in constraints.values()
                if (c.get("index") or c.get("unique") or c.get("primary_key")) and c["columns"]
            ),
        )
    return infos
