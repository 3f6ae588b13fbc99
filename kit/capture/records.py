"""QueryRecord: one captured query as plain frozen data (no Django objects)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """One query the database ran, with where it came from and how long it took."""

    id: int
    alias: str
    vendor: str
    sql: str
    params: Any
    many: bool
    start_ms: float
    duration_ms: float
    thread: str
    source_file: str | None = None
    source_lineno: int | None = None
    line: int | None = None
    entry: str | None = None
    error: str | None = None

    @property
    def source(self) -> str | None:
        """Where the query came from, "file:line": the first frame outside Django and the kit."""
        if self.source_file is None:
            return None
        return f"{self.source_file}:{self.source_lineno}"

    @property
    def end_ms(self) -> float:
        """When the query finished, in ms from the start of the capture."""
        return self.start_ms + self.duration_ms


@dataclass(slots=True)
class FingerprintCounter:
    """Running totals for queries counted past the record cap, per (alias, fingerprint)."""

    alias: str
    fingerprint: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, duration_ms: float) -> None:
        """Count one more query that took duration_ms."""
        self.count += 1
        self.total_ms += duration_ms
        if duration_ms > self.max_ms:
            self.max_ms = duration_ms
