"""The budget rule: which limits a profiled block broke (how many queries, repeats, N+1 groups).

Pure: the numbers in, the broken limits out. kit.render.budget words them and raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kit.analysis.groups import DuplicateGroup, NPlusOneGroup

__all__ = ["DUPLICATES", "N_PLUS_ONE", "QUERIES", "Budget", "Violation", "check_budget"]

# What a Violation is about.
QUERIES, DUPLICATES, N_PLUS_ONE = "queries", "duplicates", "N+1 groups"


@dataclass(frozen=True)
class Budget:
    """Limits for one block; None (or n_plus_one=True) leaves that number unchecked."""

    max_queries: int | None = None
    max_duplicates: int | None = None
    n_plus_one: bool = True

    def __post_init__(self) -> None:
        for name in ("max_queries", "max_duplicates"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be a whole number, not {value!r}.")
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more, not {value}.")


@dataclass(frozen=True)
class Violation:
    """One broken limit: what (QUERIES, DUPLICATES, N_PLUS_ONE), how many, and the limit."""

    what: str
    actual: int
    limit: int


def duplicate_ids(duplicates: Sequence[DuplicateGroup]) -> list[int]:
    """Ids of the queries that repeat an earlier one exactly (each group's first is not one)."""
    return sorted(i for group in duplicates for i in group.record_ids[1:])


def check_budget(
    budget: Budget,
    query_count: int,
    duplicates: Sequence[DuplicateGroup],
    n_plus_one: Sequence[NPlusOneGroup],
) -> list[Violation]:
    """The limits broken (empty when the block kept to the budget)."""
    violations = []
    if budget.max_queries is not None and query_count > budget.max_queries:
        violations.append(Violation(QUERIES, query_count, budget.max_queries))
    repeats = len(duplicate_ids(duplicates))
    if budget.max_duplicates is not None and repeats > budget.max_duplicates:
        violations.append(Violation(DUPLICATES, repeats, budget.max_duplicates))
    if not budget.n_plus_one and n_plus_one:
        violations.append(Violation(N_PLUS_ONE, len(n_plus_one), 0))
    return violations
