"""Finding: one thing to fix, as a value (kind, severity, message, records, suggested code)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kit.analysis.location import CellNumbers, record_place
from kit.capture.records import QueryRecord

__all__ = ["SEVERITIES", "Finding", "Places", "sort_findings"]

# Worst first. high: grows with the data (N+1); medium: loads rows it does not need;
# low: repeats work; info: worth knowing, nothing to fix.
SEVERITIES = ("high", "medium", "low", "info")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the profiled code should change, with the queries behind it.

    kind: "n_plus_one", "duplicate", "similar", "bool", "len", "repr", "aggregates" or
    "sync_in_async" (a sync ORM call inside a coroutine), or about
    the cache: "cache_miss", "cache_miss_query", "cache_unread", "cache_key_varies",
    "cache_stale"; suggestion: code to paste, when there is one; line: the cell line it is about;
    record_ids are queries (Profile.queries), cache_call_ids cache calls (Profile.cache_calls).
    """

    kind: str
    severity: str
    message: str
    record_ids: tuple[int, ...]
    suggestion: str | None = None
    line: int | None = None
    notes: tuple[str, ...] = field(default=())
    cache_call_ids: tuple[int, ...] = field(default=())
    # An N+1 fix (issue 12): expression is the root queryset as the user wrote it, which
    # suggestion replaces ("" or None: suggestion is the calls to add to the queryset built at
    # built_at, "file:line"); model and fields name what the loop read one row at a time.
    expression: str | None = None
    built_at: str | None = None
    model: str | None = None
    fields: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}.")


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first: by severity, then by how many queries (and cache calls) are involved, then
    by position."""
    return sorted(
        findings,
        key=lambda f: (
            _RANK[f.severity],
            -len(f.record_ids) - len(f.cache_call_ids),
            min(f.record_ids, default=0),
            min(f.cache_call_ids, default=0),
        ),
    )


@dataclass(frozen=True)
class Places:
    """Names where a query came from, the way the reader sees it: "line 4" or "app.py:12"."""

    cell_filename: str | None = None
    source_text: Callable[[QueryRecord], str | None] | None = None
    cells: CellNumbers = field(default_factory=dict)

    def where(self, record: QueryRecord) -> str:
        """ "line 4" for the profiled cell, "cell [3], line 6 (called from line 3)" elsewhere."""
        return record_place(record, self.cell_filename, self.cells)

    def text(self, record: QueryRecord) -> str | None:
        """The source line behind the record, stripped, when it can be read."""
        if self.source_text is None:
            return None
        text = self.source_text(record)
        return text.strip() if text else None
