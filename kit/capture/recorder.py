"""QueryRecorder: the execute_wrapper that times every query and remembers where it came from."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from types import FrameType
from typing import Any

from kit.capture.cursor_hook import HOOK_CODE_IDS, cursor_frame
from kit.capture.frames import find_origin, in_connection_setup
from kit.capture.lazy import built_once
from kit.capture.records import FingerprintCounter, QueryRecord
from kit.capture.rows import DURATION, OBJECT, build_records, row_starts

DEFAULT_RECORD_CAP = 10_000

# The kit's own queries (EXPLAIN, introspection) run under this flag and are never recorded.
_suppressed: ContextVar[bool] = ContextVar("kit_capture_suppressed", default=False)


@contextmanager
def suppress_capture() -> Iterator[None]:
    """Run the kit's own queries without any recorder seeing them."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _identity(sql: str) -> str:
    return sql


class QueryRecorder:
    """Records each query it wraps; past `cap` full records it only counts per fingerprint."""

    def __init__(
        self,
        aliases: tuple[str, ...],
        *,
        cap: int = DEFAULT_RECORD_CAP,
        fingerprint: Callable[[str], str] | None = None,
        cell_filename: str | None = None,
        in_request: bool = False,
    ) -> None:
        self.aliases = aliases
        self.cap = cap
        self.cell_filename = cell_filename
        # Set while the notebook displays the cell's last value, whose frame is not on the stack.
        self.fallback_line: int | None = None
        # How many requests are being handled (request_started and request_finished; 1 from the
        # start for a capture made inside one, as the middleware's): while any is, the stack
        # walk looks above the user's frame for where Django was rendering.
        self.requests = 1 if in_request else 0
        # Every full record's fields, one query after another (kit.capture.rows says why flat).
        self.rows: list[Any] = []
        # How many full records were begun: past cap, queries are only counted. Threads may
        # race on it (then a few more than cap are full records); the counts read the rows.
        self.full = 0
        self.counters: dict[tuple[str, str], FingerprintCounter] = {}
        self.started_at = perf_counter()
        # (offset, records, seconds) of the rows read so far: the live counts read only the
        # queries added since (a progress line asks twice a second).
        self._read = (0, 0, 0.0)
        self._read_lock = threading.Lock()
        self._fingerprint = fingerprint or _identity
        # Django builds a new SQL string per query: storing each distinct string once halves
        # the memory per record (DESIGN.md, "Measured facts").
        self._sql_pool: dict[str, str] = {}
        # The last string stored: loops send the same statement many times in a row, and a
        # comparison (at once False for another length) costs less than hashing 300 bytes.
        self._last_sql = ""
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict,
        walk_from: int = 0,
    ) -> Any:
        """An execute_wrapper. walk_from: how many frames up from this one the walk to the user's
        line begins, when the caller knows (the cursor hook's common case: 2, the code that
        called the cursor); 0 finds the hook's frame on the stack."""
        if _suppressed.get():
            return execute(sql, params, many, context)
        if many and not isinstance(params, list | tuple):
            params = list(params)  # an iterator can be consumed only once: by the driver
        error = None
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            # The row is made here rather than in a method: one call less per query, which in
            # the middle of Django's work (cold caches) costs about 0.2 us.
            duration = perf_counter() - start
            connection = context["connection"]
            rows = self.rows
            # Frame 0 is this one, 1 the cursor hook's (or an outer wrapper's), 2 the code that
            # called the cursor. The hook's frame is never the query's line: with walk_from,
            # sys._getframe() goes straight past it without making its frame object. No origin:
            # a query Django runs to set up a connection it opens (MySQL's SET statements),
            # which belongs to no block, as in Django's own CaptureQueriesContext.
            if walk_from:
                try:
                    caller: FrameType | None = sys._getframe(walk_from)
                except ValueError:  # no Python code called the cursor: its thread began there
                    caller = None
            else:
                caller = sys._getframe(1)
                if id(caller.f_code) not in HOOK_CODE_IDS:
                    caller = cursor_frame(caller)
            full = self.full
            if full >= self.cap:
                origin = None
                if not in_connection_setup(caller):
                    self._count(connection.alias, sql, duration)
            else:
                origin = find_origin(
                    caller, self.cell_filename, self.fallback_line, self.requests > 0
                )
            if origin is not None:
                self.full = full + 1
                local = self._local
                try:
                    thread = local.name
                except AttributeError:
                    # Cached per thread: current_thread() costs two Python calls per query.
                    thread = local.name = threading.current_thread().name
                last_sql = self._last_sql  # read once: another thread may replace it
                if sql == last_sql:
                    sql = last_sql
                else:
                    sql = self._last_sql = self._sql_pool.setdefault(sql, sql)
                # The query's fields added to the flat rows in one step, parameter values
                # inlined (kit.capture.rows says why).
                if not many and (type(params) is tuple or type(params) is list):
                    rows += [sql, many, connection.alias, connection.vendor, start, duration,
                             thread, error, *origin, len(params), *params]  # fmt: skip
                else:
                    if type(params) is list:
                        params = tuple(params)
                    rows += [sql, many, connection.alias, connection.vendor, start, duration,
                             thread, error, *origin, OBJECT, params]  # fmt: skip

    def _count(self, alias: str, sql: str, duration: float) -> None:
        key = (alias, self._fingerprint(sql))
        with self._lock:
            counter = self.counters.get(key)
            if counter is None:
                counter = self.counters[key] = FingerprintCounter(alias, key[1])
            counter.add(duration * 1000.0)

    def request_started(self, sender: Any, **kwargs: Any) -> None:
        """request_started receiver: a request is being handled from now on."""
        with self._lock:
            self.requests += 1

    def request_finished(self, sender: Any, **kwargs: Any) -> None:
        """request_finished receiver: a request has been answered."""
        with self._lock:
            self.requests = max(0, self.requests - 1)

    def records(self) -> list[QueryRecord]:
        """The full records so far, in the order the queries finished."""
        return self._build(list(self.rows))

    def frozen_records(self) -> Callable[[], list[QueryRecord]]:
        """The records as they are now, built only when first asked for (cheap to call)."""
        rows = list(self.rows)
        return built_once(lambda: self._build(rows))

    def _build(self, rows: list[Any]) -> list[QueryRecord]:
        return build_records(rows, self.started_at)

    def _recorded(self) -> tuple[int, float]:
        """(full records, their database seconds) so far."""
        with self._read_lock:
            rows = self.rows
            stop = len(rows)  # every query up to here is whole: each is added in one step
            start, count, seconds = self._read
            for i in row_starts(rows, start, stop):
                count += 1
                seconds += rows[i + DURATION]
            self._read = (stop, count, seconds)
        return count, seconds

    @property
    def query_count(self) -> int:
        """Every query seen: full records plus those only counted."""
        return self._recorded()[0] + sum(c.count for c in list(self.counters.values()))

    @property
    def db_seconds(self) -> float:
        """Database seconds so far, over every query seen (what a live progress line reads)."""
        return self.db_time_ms / 1000.0

    @property
    def db_time_ms(self) -> float:
        """Total time spent in the database, ms, over every query seen."""
        recorded = self._recorded()[1] * 1000.0
        return recorded + sum(c.total_ms for c in list(self.counters.values()))
