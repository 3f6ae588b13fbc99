"""What the plan checks share: thresholds, and the SQL, tables and vendor of one plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kit.explain.plan import PlanNode
from kit.explain.sqlrefs import ColumnRef, SqlRefs
from kit.explain.suggest import TableInfo


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a plan step is worth a finding."""

    min_rows: float = 1_000  # a table, sort or filter this big is "many rows"
    min_loops: float = 1_000  # the inner side of a nested loop runs this often
    misestimate: float = 10.0  # actual and estimated rows differ by this factor
    discard_share: float = 0.9  # a filter throws away this share of the rows it reads


@dataclass(frozen=True, slots=True)
class FindingContext:
    """What every check needs: the SQL's columns, the tables, thresholds, the vendor."""

    refs: SqlRefs
    tables: Mapping[str, TableInfo]
    limits: Thresholds
    vendor: str
    sql_upper: str

    def table(self, node: PlanNode) -> str | None:
        """The real table a node reads (aliases resolved), or None."""
        return self.refs.table_of(node.relation) if node.relation else None

    def size(self, node: PlanNode) -> float | None:
        """How many rows the table behind a node holds, as best known."""
        info = self.tables.get(self.table(node) or "")
        known = [info.rows if info else None, node.rows_examined]
        if node.actual_rows is not None and node.rows_removed is not None:
            known.append(node.actual_rows + node.rows_removed)
        values = [v for v in known if v is not None]
        return max(values) if values else None


def column_names(columns: list[ColumnRef]) -> str:
    """The columns' names, comma separated."""
    return ", ".join(r.column for r in columns)
