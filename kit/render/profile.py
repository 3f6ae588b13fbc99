"""Profile: what a block of code did to the database, and how it shows itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kit.capture.records import FingerprintCounter, QueryRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go


class RecordSource(Protocol):
    """Anything that can report captured queries while they are still coming in."""

    @property
    def query_count(self) -> int: ...

    @property
    def db_time_ms(self) -> float: ...

    counters: dict[tuple[str, str], FingerprintCounter]

    def records(self) -> list[QueryRecord]: ...


@dataclass
class Profile:
    """Counts, times and every query of a profiled block (`with kit.profile() as p`, a cell)."""

    started_at: datetime
    name: str | None = None
    cell: str | None = None
    cell_filename: str | None = None
    max_rows: int = 50
    error: str | None = None
    _source: RecordSource | None = field(default=None, repr=False)
    _queries: list[QueryRecord] = field(default_factory=list, repr=False)
    _query_count: int = 0
    _db_time_ms: float = 0.0
    _wall_time_ms: float = 0.0
    _counters: list[FingerprintCounter] = field(default_factory=list, repr=False)

    def finish(self, wall_time_ms: float, error: str | None = None) -> None:
        """Freeze the numbers: the block is over."""
        source = self._source
        if source is not None:
            self._queries = source.records()
            self._query_count = source.query_count
            self._db_time_ms = source.db_time_ms
            self._counters = sorted(source.counters.values(), key=lambda c: -c.total_ms)
        self._source = None
        self._wall_time_ms = wall_time_ms
        self.error = error

    @property
    def finished(self) -> bool:
        """True once the profiled block has ended."""
        return self._source is None

    @property
    def queries(self) -> list[QueryRecord]:
        """Every fully recorded query, in the order they finished (see counted_only)."""
        return self._source.records() if self._source else self._queries

    @property
    def query_count(self) -> int:
        """How many queries ran, exactly, including those past the record cap."""
        return self._source.query_count if self._source else self._query_count

    @property
    def db_time_ms(self) -> float:
        """Total time the queries took in the database, ms."""
        return self._source.db_time_ms if self._source else self._db_time_ms

    @property
    def wall_time_ms(self) -> float:
        """Wall-clock time of the whole block, ms (0 until it ends)."""
        return self._wall_time_ms

    @property
    def counted_only(self) -> int:
        """Queries past the record cap: counted per fingerprint, not kept one by one."""
        return self.query_count - len(self.queries)

    @property
    def overflow(self) -> list[FingerprintCounter]:
        """Per-fingerprint counters for the queries past the record cap, slowest total first."""
        if self._source is not None:
            return sorted(self._source.counters.values(), key=lambda c: -c.total_ms)
        return self._counters

    @property
    def vendors(self) -> list[str]:
        """The database vendors the queries went to, in first-seen order."""
        return list(dict.fromkeys(q.vendor for q in self.queries))

    def cell_line_text(self, line: int | None) -> str | None:
        """The text of a line of the profiled cell (1 is the %%orm_profile line)."""
        if self.cell is None or line is None:
            return None
        lines = self.cell.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else None

    def __repr__(self) -> str:
        from kit.render.text import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from kit.render.html import render_html

        return render_html(self)

    def _repr_markdown_(self) -> str:
        from kit.render.text import render_markdown

        return render_markdown(self)

    def timeline(self, detail_limit: int = 5_000) -> go.Figure:
        """The plotly timeline: each query a bar at its start, one row per query shape."""
        from kit.render.timeline import render_timeline

        return render_timeline(self, detail_limit=detail_limit)

    def breakdown(self) -> go.Figure:
        """The plotly bar charts of queries and time by query shape and by table."""
        from kit.render.charts import render_breakdown

        return render_breakdown(self)

    def save(self, path: str | Path) -> Path:
        """Write the profile as versioned JSON; kit.load(path) reads it back."""
        from kit.render.export import save_profile

        return save_profile(self, path)

    def to_html(
        self, path: str | Path, *, redact_params: bool = False, static_images: bool = True
    ) -> Path:
        """Write a standalone HTML report (tables, PNG figures, no JavaScript) to path."""
        from kit.render.report import write_report

        return write_report(self, path, redact_params=redact_params, static_images=static_images)

    def __getstate__(self) -> dict[str, Any]:
        if self._source is not None:
            raise TypeError("A profile can be copied or pickled only after its block ends.")
        return self.__dict__.copy()
