"""The stored EXPLAIN outputs under tests/fixtures/explain/, loaded and parsed for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kit.explain import mysql, postgresql, sqlite
from kit.explain.plan import PlanNode, RawExplain, finalize
from kit.explain.schema import model_tables
from kit.explain.suggest import TableInfo

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "explain"
PARSERS = {"sqlite": sqlite.parse, "postgresql": postgresql.parse, "mysql": mysql.parse}


def load(name: str) -> dict[str, Any]:
    """One stored output and what was asked to get it."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def parse(name: str) -> tuple[PlanNode, float | None, float | None]:
    """The finalized plan tree of a stored output, with planning and execution ms."""
    fixture = load(name)
    raw = RawExplain(
        fixture["statement"], fixture["output"], fixture["measured_rows"], fixture["measured_ms"]
    )
    root, planning_ms, execution_ms = PARSERS[fixture["vendor"]](raw)
    return finalize(root), planning_ms, execution_ms


def table_info(table: str, rows: float | None, indexes: Any = ()) -> TableInfo:
    """What the runner would know of a sample-app table: model, fields, size, indexes."""
    meta = model_tables()[table]._meta
    return TableInfo(
        table,
        meta.object_name,
        meta.label,
        tuple((f.column, f.name) for f in meta.concrete_fields),
        rows,
        tuple(tuple(i) for i in indexes),
    )
