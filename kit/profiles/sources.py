"""What a Profile reads while its block runs: the query and cache recorders, as protocols."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.records import FingerprintCounter, QueryRecord


class RecordSource(Protocol):
    """Anything that can report captured queries while they are still coming in."""

    @property
    def query_count(self) -> int: ...

    @property
    def db_time_ms(self) -> float: ...

    counters: dict[tuple[str, str], FingerprintCounter]

    def records(self) -> list[QueryRecord]: ...

    def frozen_records(self) -> Callable[[], list[QueryRecord]]: ...


class CacheSource(Protocol):
    """Anything that can report captured cache calls while they are still coming in."""

    @property
    def call_count(self) -> int: ...

    counters: dict[tuple[str, str, str], CacheCounter]

    def records(self) -> list[CacheRecord]: ...

    def frozen_records(self) -> Callable[[], list[CacheRecord]]: ...
