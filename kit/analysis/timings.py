"""Times of a cell run several times (%%orm_profile --repeat N): median and spread, as %timeit.

A single wall time is noise on a busy machine; the median of several runs, with the spread
between the fastest and the slowest, tells a real change from a lucky run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

__all__ = ["RunTimes"]


@dataclass(frozen=True, slots=True)
class RunTimes:
    """Each run's wall time, database time (ms) and query count, in the order they ran."""

    wall_ms: tuple[float, ...]
    db_ms: tuple[float, ...]
    queries: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.wall_ms or not len(self.wall_ms) == len(self.db_ms) == len(self.queries):
            raise ValueError("RunTimes needs one wall time, database time and count per run.")

    @property
    def runs(self) -> int:
        """How many times the cell ran."""
        return len(self.wall_ms)

    @property
    def median_wall_ms(self) -> float:
        """The median wall time of a run, ms."""
        return statistics.median(self.wall_ms)

    @property
    def median_db_ms(self) -> float:
        """The median time a run spent in the database, ms."""
        return statistics.median(self.db_ms)

    @property
    def spread_wall_ms(self) -> float:
        """Slowest minus fastest run's wall time, ms."""
        return max(self.wall_ms) - min(self.wall_ms)

    @property
    def spread_db_ms(self) -> float:
        """Most minus least database time of a run, ms."""
        return max(self.db_ms) - min(self.db_ms)

    @property
    def same_queries(self) -> bool:
        """True when every run sent as many queries (a cache can make later runs send fewer)."""
        return len(set(self.queries)) == 1
