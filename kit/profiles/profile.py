"""Profile: what a block of code did to the database (counts, records, analysis), as a value."""

from __future__ import annotations

import linecache
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.analysis.cache_stats import CacheKeyStats, CacheTotals, cache_key_stats, cache_totals
from kit.analysis.findings import Finding
from kit.analysis.fixes import QuerysetFix
from kit.analysis.groups import DEFAULT_THRESHOLD, DuplicateGroup, NPlusOneGroup, SimilarGroup
from kit.analysis.report import Analysis, analyze
from kit.analysis.stats import QueryStats, stats_by_fingerprint, stats_by_table
from kit.analysis.timings import RunTimes
from kit.analysis.verification import Verification
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.eager_records import EagerLoad
from kit.capture.records import FingerprintCounter, QueryRecord
from kit.explain.plan import ExplainError, Plan
from kit.profiles.export import save_profile
from kit.profiles.sources import CacheSource, RecordSource
from kit.profiles.views import views

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go


@dataclass
class Profile:
    """Counts, times and every query of a profiled block (`with kit.profile() as p`, a cell)."""

    started_at: datetime
    name: str | None = None
    cell: str | None = None
    cell_filename: str | None = None
    # The query table: "shape", one row per query shape (the max_rows costliest), or "query",
    # the max_rows slowest queries one by one (%%orm_profile --rows N).
    max_rows: int = 50
    rows_by: str = "shape"
    error: str | None = None
    # N+1 groups need at least this many queries of one shape from one line.
    threshold: int = DEFAULT_THRESHOLD
    # The notebook's code files -> their cell's execution count, so a query from code another
    # cell defined reads "cell [3], line 6" (kit.profiles.cells fills it in a notebook).
    cell_numbers: dict[str, int] = field(default_factory=dict)
    # --repeat N: every run's wall and database time (this profile's queries are the first's).
    runs: RunTimes | None = None
    # Every output (text, HTML, figures, dataframes, save, report) shows redacted() instead:
    # kit.profile(redact_params=True), %config OrmProfile.redact_params = True.
    redact_params: bool = False
    _source: RecordSource | None = field(default=None, repr=False, compare=False)
    _frozen_queries: Callable[[], list[QueryRecord]] | None = field(
        default=None, repr=False, compare=False
    )
    _query_count: int = 0
    _db_time_ms: float = 0.0
    _wall_time_ms: float = 0.0
    _counters: list[FingerprintCounter] = field(default_factory=list, repr=False)
    # A cache of analyze() for the threshold it was computed with.
    _analysis: tuple[int, Analysis] | None = field(default=None, repr=False, compare=False)
    # Filled after the block when EXPLAIN was asked for (kit.profile(explain=...), --explain).
    plans: list[Plan] = field(default_factory=list, repr=False)
    explain_errors: list[ExplainError] = field(default_factory=list, repr=False)
    # select_related() / prefetch_related() lookups the block never read (kit.capture.eager).
    unused_eager_loads: list[EagerLoad] = field(default_factory=list, repr=False, compare=False)
    # %%orm_profile --verify and kit.verify(): each fix replayed, rolled back (Verification).
    verifications: list[Verification] = field(default_factory=list, repr=False)
    # The cache calls (kit.profile(cache=...), %%orm_profile --cache / --no-cache).
    _cache_source: CacheSource | None = field(default=None, repr=False, compare=False)
    _frozen_cache_calls: Callable[[], list[CacheRecord]] | None = field(
        default=None, repr=False, compare=False
    )
    _cache_call_count: int = 0
    _cache_counters: list[CacheCounter] = field(default_factory=list, repr=False)
    _redacted: Profile | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_records(
        cls,
        records: list[QueryRecord],
        *,
        started_at: datetime,
        wall_time_ms: float,
        query_count: int | None = None,
        db_time_ms: float | None = None,
        counters: list[FingerprintCounter] | None = None,
        cache_calls: list[CacheRecord] | None = None,
        cache_call_count: int | None = None,
        cache_counters: list[CacheCounter] | None = None,
        **fields: Any,
    ) -> Profile:
        """A finished profile of records made elsewhere: a saved file, a test, a benchmark.

        query_count and db_time_ms default to the records' own (no counters past a cap), and
        cache_call_count to the number of cache_calls.
        """
        profile = cls(started_at=started_at, **fields)
        calls = list(cache_calls or [])
        profile._frozen_cache_calls = lambda: calls
        profile._cache_call_count = len(calls) if cache_call_count is None else cache_call_count
        profile._cache_counters = list(cache_counters or [])
        profile._frozen_queries = lambda: records
        profile._query_count = len(records) if query_count is None else query_count
        profile._db_time_ms = (
            sum(r.duration_ms for r in records) if db_time_ms is None else db_time_ms
        )
        profile._wall_time_ms = wall_time_ms
        profile._counters = list(counters or [])
        return profile

    def finish(self, wall_time_ms: float, error: str | None = None) -> None:
        """Freeze the numbers: the block is over."""
        source = self._source
        if source is not None:
            # Records are built on first use: the block's own time does not pay for them.
            self._frozen_queries = source.frozen_records()
            self._query_count = source.query_count
            self._db_time_ms = source.db_time_ms
            self._counters = sorted(source.counters.values(), key=lambda c: -c.total_ms)
        cache = self._cache_source
        if cache is not None:
            self._frozen_cache_calls = cache.frozen_records()
            self._cache_call_count = cache.call_count
            self._cache_counters = sorted(cache.counters.values(), key=lambda c: -c.total_ms)
        self._source = self._cache_source = None
        self._wall_time_ms = wall_time_ms
        self.error = error

    def running_totals(self) -> tuple[int, float]:
        """Queries so far and their database time in ms, read from the recorder's counters
        (cheap enough to poll while the block runs); the final numbers once it has ended."""
        source = self._source
        if source is None:
            return self._query_count, self._db_time_ms
        return source.query_count, source.db_time_ms

    @property
    def finished(self) -> bool:
        """True once the profiled block has ended."""
        return self._source is None

    @property
    def queries(self) -> list[QueryRecord]:
        """Every fully recorded query, in the order they finished (see counted_only)."""
        if self._source is not None:
            return self._source.records()
        return self._frozen_queries() if self._frozen_queries else []

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
    def cache_calls(self) -> list[CacheRecord]:
        """Every fully recorded cache call, in the order they returned (see cache_overflow)."""
        if self._cache_source is not None:
            return self._cache_source.records()
        return self._frozen_cache_calls() if self._frozen_cache_calls else []

    @property
    def cache_call_count(self) -> int:
        """How many cache calls the block made, exactly, including those past the record cap."""
        if self._cache_source is not None:
            return self._cache_source.call_count
        return self._cache_call_count

    @property
    def cache_overflow(self) -> list[CacheCounter]:
        """Per (alias, operation, key pattern) counters for cache calls past the record cap."""
        if self._cache_source is not None:
            return sorted(self._cache_source.counters.values(), key=lambda c: -c.total_ms)
        return self._cache_counters

    @property
    def cache_totals(self) -> CacheTotals:
        """Cache calls, keys found (hits) and not found (misses), and their time in ms."""
        return cache_totals(self.cache_calls, self.cache_overflow)

    @property
    def by_cache_pattern(self) -> list[CacheKeyStats]:
        """Calls, hits, misses and ms per (alias, key pattern), most time first."""
        return cache_key_stats(self.cache_calls, self.cache_overflow)

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

    def source_text(self, record: QueryRecord) -> str | None:
        """The source line behind a query: the cell's own text, else the file's (linecache)."""
        if record.source_file is None or record.source_lineno is None:
            return None
        if record.source_file == self.cell_filename:
            return self.cell_line_text(record.source_lineno)
        return linecache.getline(record.source_file, record.source_lineno).strip() or None

    def source_spot(self, record: QueryRecord) -> tuple[str, int] | None:
        """The whole source behind a query and its line there: the cell's code (magics are
        blanked by the analysis), else the file's; None when it cannot be read."""
        if record.source_file is None or record.source_lineno is None:
            return None
        if record.source_file == self.cell_filename:
            return (self.cell, record.source_lineno) if self.cell is not None else None
        text = self.file_text(record.source_file)
        return (text, record.source_lineno) if text else None

    def file_text(self, path: str) -> str | None:
        """A whole source file's text (linecache), or None when it cannot be read."""
        lines = linecache.getlines(path)
        return "".join(lines) or None

    @property
    def analysis(self) -> Analysis:
        """Findings, N+1 groups, fixes, duplicates and similar queries (cached once finished)."""
        cached = self._analysis
        if cached is not None and cached[0] == self.threshold and self.finished:
            return cached[1]
        result = analyze(
            self.queries,
            threshold=self.threshold,
            cell_filename=self.cell_filename,
            source_text=self.source_text,
            file_text=self.file_text,
            source_spot=self.source_spot,
            cells=self.cell_numbers,
            cache_calls=self.cache_calls,
            eager_loads=self.unused_eager_loads,
        )
        if self.finished:
            self._analysis = (self.threshold, result)
        return result

    @property
    def findings(self) -> list[Finding]:
        """What to fix, worst first: N+1 groups with their fix, lazy evaluations, repeats."""
        return list(self.analysis.findings)

    @property
    def n_plus_one(self) -> list[NPlusOneGroup]:
        """The N+1 groups, each with the relation behind it when the ORM call showed it."""
        return list(self.analysis.n_plus_one)

    @property
    def fixes(self) -> list[QuerysetFix]:
        """One fix per root queryset behind N+1 groups: select/prefetch_related, annotate."""
        return list(self.analysis.fixes)

    @property
    def duplicates(self) -> list[DuplicateGroup]:
        """Queries sent more than once with the same SQL and params."""
        return list(self.analysis.duplicates)

    @property
    def similar(self) -> list[SimilarGroup]:
        """Queries sharing a fingerprint, from any line."""
        return list(self.analysis.similar)

    @property
    def by_fingerprint(self) -> list[QueryStats]:
        """Count, total, mean and max ms per fingerprint (past the cap too), slowest first."""
        return stats_by_fingerprint(self.queries, self.overflow)

    @property
    def by_table(self) -> list[QueryStats]:
        """Count, total, mean and max ms per table, slowest first."""
        return stats_by_table(self.queries, self.overflow)

    def redacted(self) -> Profile:
        """A copy with no param value in it: params become "(redacted #n)", and errors and
        plans lose the values they quote (kit.profiles.redact)."""
        if self._redacted is not None:
            return self._redacted
        from kit.profiles.redact import redact_profile

        copy = redact_profile(self)
        if self.finished:
            self._redacted = copy
        return copy

    def as_shown(self) -> Profile:
        """What the outputs show: redacted() when redact_params is set, else the profile."""
        return self.redacted() if self.redact_params else self

    def to_dataframe(self) -> pd.DataFrame:
        """The queries as a pandas DataFrame, one row per recorded query, for exploration (the
        cache calls: cache_dataframe())."""
        return views().queries_dataframe(self.as_shown())

    def cache_dataframe(self) -> pd.DataFrame:
        """The cache calls as a pandas DataFrame, one row per recorded call."""
        return views().cache_dataframe(self)

    def plan_figure(self, static_image: bool = True) -> Any:
        """The plans as a plotly figure with a menu to switch plans (a PlanFigure), or None."""
        return views().plan_figure(self.as_shown(), static_image)

    def __repr__(self) -> str:
        return views().render_text(self.as_shown())

    def _repr_html_(self) -> str:
        return views().render_html(self.as_shown())

    def _repr_markdown_(self) -> str:
        return views().render_markdown(self.as_shown())

    def timeline(self, detail_limit: int = 5_000) -> go.Figure:
        """The plotly timeline: each query a bar at its start, one row per query shape."""
        return views().render_timeline(self.as_shown(), detail_limit=detail_limit)

    def breakdown(self) -> go.Figure:
        """The plotly bar charts of queries and time by query shape and by table."""
        return views().render_breakdown(self.as_shown())

    def save(self, path: str | Path, *, redact_params: bool | None = None) -> Path:
        """Write the profile as versioned JSON; kit.load(path) reads it back. redact_params
        (default: the profile's own setting) saves redacted() instead."""
        redact = self.redact_params if redact_params is None else redact_params
        return save_profile(self.redacted() if redact else self, path)

    def to_html(
        self,
        path: str | Path,
        *,
        redact_params: bool | None = None,
        static_images: bool = True,
    ) -> Path:
        """Write a standalone HTML report (tables, PNG figures, no JavaScript) to path;
        redact_params (default: the profile's own setting) leaves every param value out."""
        redact = self.redact_params if redact_params is None else redact_params
        return views().write_report(self, path, redact_params=redact, static_images=static_images)

    def __getstate__(self) -> dict[str, Any]:
        if self._source is not None:
            raise TypeError("A profile can be copied or pickled only after its block ends.")
        state = self.__dict__.copy()
        state["_frozen_queries"] = state["_frozen_cache_calls"] = state["_redacted"] = None
        state["_stored_queries"] = self.queries
        state["_stored_cache_calls"] = self.cache_calls
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        queries = state.pop("_stored_queries")
        calls = state.pop("_stored_cache_calls", [])
        self.__dict__.update(state)
        self._frozen_queries = lambda: queries
        self._frozen_cache_calls = lambda: calls
