"""Query budgets: fail a cell, a script or a test when it sends too many or repeated queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from kit.analysis.groups import NPlusOneGroup
from kit.capture.records import QueryRecord
from kit.render.marks import duplicate_ids, group_label
from kit.render.profile import Profile
from kit.render.shapes import shape_stats
from kit.render.sqltext import format_params, summarize_sql

LISTED = 5


@dataclass(frozen=True)
class Budget:
    """Limits for one block; None (or n_plus_one=True) leaves that number unchecked."""

    max_queries: int | None = None
    max_duplicates: int | None = None
    n_plus_one: bool = True

    def __post_init__(self) -> None:
        for name in ("max_queries", "max_duplicates"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more, not {value}.")

    def enforce(self, profile: Profile, *, detail: bool = False) -> None:
        """Raise BudgetExceeded when the profile breaks this budget (detail: list the queries)."""
        __tracebackhide__ = True
        violations = check_budget(profile, self)
        if violations:
            raise BudgetExceeded(violations, detail=detail)


@dataclass(frozen=True)
class Violation:
    """One broken limit: what, how many, the limit, and the queries behind it."""

    what: str
    actual: int
    limit: int
    offenders: tuple[str, ...] = ()

    def __str__(self) -> str:
        one, many = _NOUNS[self.what]
        actual = f"{self.actual:,} {one if self.actual == 1 else many}"
        if self.what == "N+1 groups":
            return f"{actual} (none allowed)"
        return f"{actual} (max {self.limit:,})"


_NOUNS = {
    "queries": ("query", "queries"),
    "duplicates": ("duplicate query", "duplicate queries"),
    "N+1 groups": ("N+1 group", "N+1 groups"),
}


class BudgetExceeded(AssertionError):
    """A profiled block broke its query budget; the message gives the numbers."""

    def __init__(self, violations: Sequence[Violation], *, detail: bool = True) -> None:
        self.violations = tuple(violations)
        message = "Query budget exceeded: " + "; ".join(map(str, self.violations)) + "."
        if detail:
            for violation in self.violations:
                message += f"\n{violation.what}:" + "".join(
                    f"\n  {o}" for o in violation.offenders
                )
        super().__init__(message)


def check_budget(profile: Profile, budget: Budget) -> list[Violation]:
    """The limits the profile breaks (empty when it keeps to the budget)."""
    violations = []
    if budget.max_queries is not None and profile.query_count > budget.max_queries:
        violations.append(
            Violation("queries", profile.query_count, budget.max_queries, _busiest(profile))
        )
    if budget.max_duplicates is not None:
        repeats = duplicate_ids(profile)
        if len(repeats) > budget.max_duplicates:
            violations.append(
                Violation(
                    "duplicates", len(repeats), budget.max_duplicates, _repeated(profile, repeats)
                )
            )
    if not budget.n_plus_one:
        groups = profile.n_plus_one
        if groups:
            violations.append(Violation("N+1 groups", len(groups), 0, _groups(profile, groups)))
    return violations


def _busiest(profile: Profile) -> tuple[str, ...]:
    shapes = sorted(shape_stats(profile), key=lambda s: -s.count)[:LISTED]
    return tuple(
        f"{s.count:,}× {summarize_sql(s.example_sql, 100)}"
        + (f" (cell lines {', '.join(map(str, s.lines))})" if s.lines else "")
        for s in shapes
    )


def _where(record: QueryRecord) -> str:
    if record.line is not None:
        return f"cell line {record.line}"
    return record.source or "unknown source"


def _repeated(profile: Profile, repeats: list[int]) -> tuple[str, ...]:
    by_id = {q.id: q for q in profile.queries}
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], str] = {}
    for record in (by_id[i] for i in repeats):
        key = (record.sql, format_params(record.params, 60))
        counts[key] += 1
        where.setdefault(key, _where(record))
    # Each repeat follows a first run: the query ran n + 1 times.
    return tuple(
        f"{n + 1:,}× {summarize_sql(sql, 100)} params {params} at {where[sql, params]}"
        for (sql, params), n in counts.most_common(LISTED)
    )


def _groups(profile: Profile, groups: list[NPlusOneGroup]) -> tuple[str, ...]:
    """Each group, biggest first, then the queryset changes that remove them."""
    sql = {q.id: q.sql for q in profile.queries}
    lines = [
        f"{g.count:,}× {summarize_sql(sql[g.record_ids[0]], 100)} from {group_label(g)}"
        for g in sorted(groups, key=lambda g: -g.count)
    ]
    fixes = (f.suggestion for f in profile.findings if f.kind == "n_plus_one" and f.suggestion)
    return (*lines, *(f"fix: {fix}" for fix in dict.fromkeys(fixes)))


@contextmanager
def query_budget(
    max_queries: int | None = None,
    *,
    max_duplicates: int | None = None,
    n_plus_one: bool = True,
    using: str | Sequence[str] | None = None,
) -> Iterator[Profile]:
    """Profile the block; on exit raise BudgetExceeded (queries listed) if it broke a limit."""
    __tracebackhide__ = True
    from kit.api import profile

    budget = Budget(max_queries, max_duplicates, n_plus_one)
    with profile(using) as result:
        yield result
    budget.enforce(result, detail=True)
