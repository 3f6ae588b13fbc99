"""CacheRecorder: every cache call of a block, from any alias and thread; capture_cache_calls().

The cache's counterpart of QueryRecorder (django-perf-rec's idea: queries and cache calls are
two recorders of one kind): raw rows while the block runs, CacheRecords built after it, counted
per key pattern past a cap. The hooks that feed it are in kit.capture.cache_hooks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from kit.capture.cache_aliases import backend_class, resolve_cache_aliases
from kit.capture.cache_hooks import Call, install, remove
from kit.capture.cache_issuers import Issuer
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.frames import USER_LINE, find_origin, line_at
from kit.capture.lazy import built_once
from kit.capture.recorder import DEFAULT_RECORD_CAP


def _first_key(keys: tuple[str, ...]) -> str:
    return keys[0] if keys else ""


class CacheRecorder:
    """Records each outermost cache call on its aliases; past `cap` only counts per pattern."""

    def __init__(
        self,
        aliases: Sequence[str],
        *,
        cap: int = DEFAULT_RECORD_CAP,
        key_pattern: Callable[[tuple[str, ...]], str] | None = None,
        cell_filename: str | None = None,
        started_at: float | None = None,
    ) -> None:
        self.aliases = frozenset(aliases)
        self.cap = cap
        self.cell_filename = cell_filename
        # Set while the notebook displays the cell's last value (see QueryRecorder).
        self.fallback_line: int | None = None
        self.started_at = perf_counter() if started_at is None else started_at
        # (Call, origin, issuer, request number) per call, in the order the calls returned.
        self.rows: list[tuple[Any, ...]] = []
        self.counters: dict[tuple[str, str, str], CacheCounter] = {}
        self._key_pattern = key_pattern or _first_key
        self._lock = threading.Lock()
        # Requests numbered from 1 as first seen; weak, so a finished request is not kept alive.
        self._requests: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._request_count = 0

    def record(self, call: Call, caller: Any, issuer: tuple[Issuer, Any] | None) -> None:
        """Keep one finished call (called by the hooks, in the caller's thread)."""
        if len(self.rows) >= self.cap:
            self._count(call)
            return
        origin = find_origin(caller, self.cell_filename, self.fallback_line)[:4]
        number = None
        if issuer is not None:
            request = issuer[1]
            number = None if request is None else self._number(request)
        self.rows.append((call, origin, None if issuer is None else issuer[0], number))

    def _number(self, request: Any) -> int:
        with self._lock:
            number = self._requests.get(request)
            if number is None:
                self._request_count += 1
                number = self._requests[request] = self._request_count
            return number

    def _count(self, call: Call) -> None:
        keys = tuple(str(k) for k in call.keys)
        key = (call.alias, call.op, self._key_pattern(keys))
        hit = call.hit or ()
        with self._lock:
            counter = self.counters.get(key)
            if counter is None:
                counter = self.counters[key] = CacheCounter(*key)
            counter.add(call.duration * 1000.0, sum(hit), len(hit) - sum(hit))

    def records(self) -> list[CacheRecord]:
        """The full records so far, in the order the calls returned."""
        return build_cache_records(list(self.rows), self.started_at)

    def frozen_records(self) -> Callable[[], list[CacheRecord]]:
        """The records as they are now, built only when first asked for."""
        rows = list(self.rows)
        return built_once(lambda: build_cache_records(rows, self.started_at))

    @property
    def call_count(self) -> int:
        """Every cache call seen: full records plus those only counted."""
        return len(self.rows) + sum(c.count for c in list(self.counters.values()))


def build_cache_records(rows: list[tuple[Any, ...]], started_at: float) -> list[CacheRecord]:
    """CacheRecords from the recorder's rows, numbered from 0; times in ms from started_at."""
    records = []
    for i, (call, origin, issuer, number) in enumerate(rows):
        code, lasti, line, entry = origin
        lineno = None if code is None else line_at(code, lasti)
        keys = tuple(k if type(k) is str else str(k) for k in call.keys)
        issuer = issuer or Issuer(None, None, None, ())
        records.append(
            CacheRecord(
                id=i,
                op=call.op,
                alias=call.alias,
                backend=type(call.instance).__name__,
                keys=keys,
                versioned_keys=_versioned(call, keys),
                hit=call.hit,
                start_ms=(call.start - started_at) * 1000.0,
                duration_ms=call.duration * 1000.0,
                thread=call.thread,
                source_file=None if code is None else code.co_filename,
                source_lineno=lineno,
                line=lineno if line == USER_LINE else line,
                entry=None if entry is None else entry.co_qualname,
                error=call.error,
                fragment=issuer.fragment,
                view=issuer.view,
                request=issuer.request,
                request_number=number,
                vary_on=issuer.vary_on,
                computed_ms=None
                if call.computed is None
                else tuple((t - started_at) * 1000.0 for t in call.computed),  # type: ignore[arg-type]
            )
        )
    return records


def _versioned(call: Call, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys as the backend stores them: make_key() with its prefix, version and key_func."""
    make_key = getattr(call.instance, "make_key", None)
    if make_key is None:
        return keys
    return tuple(make_key(key, version=call.version) for key in keys)


@contextmanager
def capture_cache_calls(
    cache: bool | str | Sequence[str] | None = None,
    *,
    cap: int = DEFAULT_RECORD_CAP,
    key_pattern: Callable[[tuple[str, ...]], str] | None = None,
    cell_filename: str | None = None,
    started_at: float | None = None,
) -> Iterator[CacheRecorder]:
    """Record every cache call on the given aliases (default: all), in every thread."""
    aliases = resolve_cache_aliases(cache)
    if cap < 0:
        raise ValueError(f"cap must be 0 or more, not {cap}.")
    recorder = CacheRecorder(
        aliases,
        cap=cap,
        key_pattern=key_pattern,
        cell_filename=cell_filename,
        started_at=started_at,
    )
    classes = list(dict.fromkeys(backend_class(alias) for alias in aliases))
    hooked: list[type] = []
    # remove() undoes whatever install() did, even if it was interrupted half-way.
    try:
        install(recorder, classes, hooked)
        yield recorder
    finally:
        remove(recorder, hooked)
