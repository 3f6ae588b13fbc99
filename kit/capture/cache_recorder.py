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

from kit.capture.cache_aliases import importable_backend, resolve_cache_aliases
from kit.capture.cache_calls import Call
from kit.capture.cache_hooks import install, remove
from kit.capture.cache_issuers import Issuer
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.frames import find_origin, origin_fields
from kit.capture.lazy import built_once
from kit.capture.recorder import DEFAULT_RECORD_CAP


def _first_key(keys: tuple[str, ...]) -> str:
    return keys[0] if keys else ""


# Positions in a row: one flat tuple per call of strings, numbers, code objects and tuples of
# those, the keys inlined at its end (the query rows do the same; kit.capture.rows says why: the
# garbage collector stops tracking such a row at its first pass). The backend instance is kept
# once per recorder and named by its index.
OP, ALIAS, INSTANCE, VERSION, START, DURATION, THREAD, ERROR, COMPUTED, HIT = range(10)
CODE, LASTI, LINE, ENTRY, FRAGMENT, VIEW, REQUEST, NUMBER, VARY, KEYS = range(10, 20)
_NO_ISSUER: tuple[str | None, str | None, str | None, int | None, tuple[str, ...]] = (
    None,
    None,
    None,
    None,
    (),
)


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
        self.rows: list[tuple[Any, ...]] = []
        self.counters: dict[tuple[str, str, str], CacheCounter] = {}
        self._key_pattern = key_pattern or _first_key
        self._lock = threading.Lock()
        # id(backend instance) -> its index in _instances, which keeps it (and its id) alive.
        self._instance_index: dict[int, int] = {}
        self._instances: list[Any] = []
        # Requests numbered from 1 as first seen; weak, so a finished request is not kept alive.
        self._requests: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._request_count = 0

    def record(self, call: Call, caller: Any, issuer: tuple[Issuer, Any] | None) -> None:
        """Keep one finished call (called by the hooks, in the caller's thread)."""
        keys: tuple[Any, ...] = call.keys
        if len(keys) == 1:
            key = keys[0]
            keys = (key,) if type(key) is str else (str(key),)
        else:
            keys = tuple(k if type(k) is str else str(k) for k in keys)
        if len(self.rows) >= self.cap:
            self._count(call, keys)
            return
        origin = find_origin(caller, self.cell_filename, self.fallback_line)
        code, lasti, line, entry = origin[:4] if origin is not None else (None, -1, None, None)
        instance = self._instance_index.get(id(call.instance))
        if instance is None:
            instance = self._keep(call.instance)
        if issuer is None:
            fragment, view, request, number, vary = _NO_ISSUER
        else:
            (fragment, view, request, vary), made_by = issuer
            number = None if made_by is None else self._number(made_by)
        self.rows.append(
            (call.op, call.alias, instance, call.version, call.start, call.duration, call.thread,
             call.error, call.computed, call.hit, code, lasti, line, entry, fragment, view,
             request, number, vary, *keys)
        )  # fmt: skip

    def _keep(self, instance: Any) -> int:
        with self._lock:
            index = self._instance_index.get(id(instance))
            if index is None:
                index = self._instance_index[id(instance)] = len(self._instances)
                self._instances.append(instance)
            return index

    def _number(self, request: Any) -> int:
        with self._lock:
            number = self._requests.get(request)
            if number is None:
                self._request_count += 1
                number = self._requests[request] = self._request_count
            return number

    def _count(self, call: Call, keys: tuple[str, ...]) -> None:
        key = (call.alias, call.op, self._key_pattern(keys))
        hit = call.hit or ()
        with self._lock:
            counter = self.counters.get(key)
            if counter is None:
                counter = self.counters[key] = CacheCounter(*key)
            counter.add(call.duration * 1000.0, sum(hit), len(hit) - sum(hit))

    def records(self) -> list[CacheRecord]:
        """The full records so far, in the order the calls returned."""
        return build_cache_records(list(self.rows), self.started_at, self._instances)

    def frozen_records(self) -> Callable[[], list[CacheRecord]]:
        """The records as they are now, built only when first asked for."""
        rows, instances = list(self.rows), list(self._instances)
        return built_once(lambda: build_cache_records(rows, self.started_at, instances))

    @property
    def call_count(self) -> int:
        """Every cache call seen: full records plus those only counted."""
        return len(self.rows) + sum(c.count for c in list(self.counters.values()))


def build_cache_records(
    rows: list[tuple[Any, ...]], started_at: float, instances: list[Any]
) -> list[CacheRecord]:
    """CacheRecords from the recorder's rows, numbered from 0; times in ms from started_at."""
    records = []
    lines: dict[tuple[int, int], int | None] = {}
    for i, row in enumerate(rows):
        source_file, lineno, line, entry = origin_fields(
            row[CODE], row[LASTI], row[LINE], row[ENTRY], lines
        )
        instance = instances[row[INSTANCE]]
        keys = row[KEYS:]
        computed = row[COMPUTED]
        records.append(
            CacheRecord(
                id=i,
                op=row[OP],
                alias=row[ALIAS],
                backend=type(instance).__name__,
                keys=keys,
                versioned_keys=_versioned(instance, keys, row[VERSION]),
                hit=row[HIT],
                start_ms=(row[START] - started_at) * 1000.0,
                duration_ms=row[DURATION] * 1000.0,
                thread=row[THREAD],
                source_file=source_file,
                source_lineno=lineno,
                line=line,
                entry=entry,
                error=row[ERROR],
                fragment=row[FRAGMENT],
                view=row[VIEW],
                request=row[REQUEST],
                request_number=row[NUMBER],
                vary_on=row[VARY],
                computed_ms=None
                if computed is None
                else ((computed[0] - started_at) * 1000.0, (computed[1] - started_at) * 1000.0),
            )
        )
    return records


def _versioned(instance: Any, keys: tuple[str, ...], version: Any) -> tuple[str, ...]:
    """The keys as the backend stores them: make_key() with its prefix, version and key_func."""
    make_key = getattr(instance, "make_key", None)
    if make_key is None:
        return keys
    return tuple(make_key(key, version=version) for key in keys)


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
    classes = list(dict.fromkeys(filter(None, map(importable_backend, aliases))))
    hooked: list[type] = []
    # remove() undoes whatever install() did, even if it was interrupted half-way.
    try:
        install(recorder, classes, hooked)
        yield recorder
    finally:
        remove(recorder, hooked)
