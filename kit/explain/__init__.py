"""Explain layer: safe EXPLAIN on SQLite, PostgreSQL and MariaDB/MySQL, one plan tree for all."""

from __future__ import annotations

from kit.explain.findings import Thresholds
from kit.explain.plan import (
    ExplainError,
    IndexSuggestion,
    Plan,
    PlanFinding,
    PlanNode,
    WhatIf,
)
from kit.explain.runner import (
    MODES,
    ExplainResults,
    explain_queryset,
    explain_records,
    explain_sql,
)
from kit.explain.session import ExplainOptions

__all__ = [
    "MODES",
    "ExplainError",
    "ExplainOptions",
    "ExplainResults",
    "IndexSuggestion",
    "Plan",
    "PlanFinding",
    "PlanNode",
    "Thresholds",
    "WhatIf",
    "explain_queryset",
    "explain_records",
    "explain_sql",
]
