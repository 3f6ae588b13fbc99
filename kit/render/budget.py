"""Query budgets as people read them: the message of a broken budget, and query_budget().

The rule (which limits a block broke) is kit.analysis.budget's; here it is worded, with the
queries behind each broken limit, and raised as BudgetExceeded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from kit.analysis.budget import DUPLICATES, N_PLUS_ONE, QUERIES, Budget, Violation, check_budget
from kit.analysis.budget import duplicate_ids as repeat_ids
from kit.analysis.location import record_place
from kit.profiles.block import profile
from kit.profiles.profile import Profile
from kit.render.marks import group_label
from kit.render.shapes import shape_stats
from kit.render.sqltext import format_params, summarize_sql

__all__ = [
    "BudgetExceeded",
    "budget_violations",
    "enforce_budget",
    "query_budget",
    "violation_text",
]

LISTED = 5
_NOUNS = {
    QUERIES: ("query", "queries"),
    DUPLICATES: ("duplicate query", "duplicate queries"),
    N_PLUS_ONE: ("N+1 group", "N+1 groups"),
}


def violation_text(violation: Violation) -> str:
    """ "6 queries (max 3)", "1 N+1 group (none allowed)"."""
    one, many = _NOUNS[violation.what]
    actual = f"{violation.actual:,} {one if violation.actual == 1 else many}"
    if violation.what == N_PLUS_ONE:
        return f"{actual} (none allowed)"
    return f"{actual} (max {violation.limit:,})"


class BudgetExceeded(AssertionError):
    """A profiled block broke its query budget; the message gives the numbers."""

    def __init__(
        self,
        violations: Sequence[Violation],
        *,
        offenders: Mapping[str, Sequence[str]] | None = None,
        detail: bool = True,
    ) -> None:
        self.violations = tuple(violations)
        message = "Query budget exceeded: " + "; ".join(map(violation_text, self.violations))
        message += "."
        if detail and offenders:
            for violation in self.violations:
                message += f"\n{violation.what}:" + "".join(
                    f"\n  {line}" for line in offenders.get(violation.what, ())
                )
        super().__init__(message)


def budget_violations(result: Profile, budget: Budget) -> list[Violation]:
    """The limits the profile breaks (empty when it keeps to the budget)."""
    return check_budget(budget, result.query_count, result.duplicates, result.n_plus_one)


def enforce_budget(result: Profile, budget: Budget, *, detail: bool = False) -> None:
    """Raise BudgetExceeded when the profile breaks the budget (detail: list the queries)."""
    __tracebackhide__ = True
    violations = budget_violations(result, budget)
    if violations:
        # The offending queries only when they are shown: the numbers alone need no rendering,
        # so a budget holds even when the kit cannot render a profile (issue 17).
        listed = offenders(result.as_shown()) if detail else None
        raise BudgetExceeded(violations, offenders=listed, detail=detail)


def offenders(result: Profile) -> dict[str, tuple[str, ...]]:
    """The queries behind each kind of limit, worst first, as lines of text."""
    return {QUERIES: _busiest(result), DUPLICATES: _repeated(result), N_PLUS_ONE: _groups(result)}


def _busiest(result: Profile) -> tuple[str, ...]:
    shapes = sorted(shape_stats(result), key=lambda s: -s.count)[:LISTED]
    return tuple(
        f"{s.count:,}× {summarize_sql(s.example_sql, 100)}"
        + (f" (cell lines {', '.join(map(str, s.lines))})" if s.lines else "")
        for s in shapes
    )


def _repeated(result: Profile) -> tuple[str, ...]:
    by_id = {q.id: q for q in result.queries}
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], str] = {}
    for record in (by_id[i] for i in repeat_ids(result.duplicates)):
        key = (record.sql, format_params(record.params, 60))
        counts[key] += 1
        where.setdefault(key, record_place(record, result.cell_filename, result.cell_numbers))
    # Each repeat follows a first run: the query ran n + 1 times.
    return tuple(
        f"{n + 1:,}× {summarize_sql(sql, 100)} params {params} at {where[sql, params]}"
        for (sql, params), n in counts.most_common(LISTED)
    )


def _groups(result: Profile) -> tuple[str, ...]:
    """Each group, biggest first, then the queryset changes that remove them."""
    sql = {q.id: q.sql for q in result.queries}
    cells = result.cell_numbers
    lines = [
        f"{g.count:,}× {summarize_sql(sql[g.record_ids[0]], 100)} from {group_label(g, cells)}"
        for g in sorted(result.n_plus_one, key=lambda g: -g.count)
    ]
    fixes = (f.suggestion for f in result.findings if f.kind == "n_plus_one" and f.suggestion)
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
    budget = Budget(max_queries, max_duplicates, n_plus_one)
    with profile(using) as result:
        yield result
    enforce_budget(result, budget, detail=True)
