"""kit.profile(): the context manager that profiles a block of code, in scripts, tests, cells."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from time import perf_counter

from kit.analysis.cache_keys import keys_pattern
from kit.analysis.fingerprint import fingerprint
from kit.analysis.groups import DEFAULT_THRESHOLD, check_threshold
from kit.capture import (
    DEFAULT_RECORD_CAP,
    CacheRecorder,
    QueryRecorder,
    capture_cache_calls,
    capture_queries,
    resolve_cache_aliases,
)
from kit.explain import MODES, ExplainOptions, explain_records
from kit.profiles.cells import cell_numbers
from kit.profiles.profile import Profile


@contextmanager
def profile(
    using: str | Sequence[str] | None = None,
    *,
    name: str | None = None,
    cap: int = DEFAULT_RECORD_CAP,
    max_rows: int = 50,
    rows_by: str = "shape",
    cell: str | None = None,
    cell_filename: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    explain: str | None = None,
    explain_options: ExplainOptions | None = None,
    cache: bool | str | Sequence[str] | None = None,
    in_request: bool = False,
    this_thread_only: bool = False,
    redact_params: bool = False,
) -> Iterator[Profile]:
    """Profile every query of the block, on every alias (or those in `using`); yields the Profile.

    Cache calls are recorded too, on every cache alias (None), those named in `cache`, or none
    (False): p.cache_calls.
    Past `cap` full records, queries are only counted per fingerprint, so memory stays bounded.
    `threshold`: how many queries of one shape from one line make an N+1 group (2 or more).
    With `explain` ("plain", "analyze", "whatif") each query shape is explained after: p.plans.
    `in_request` and `this_thread_only`: for a block inside a request's handling (a
    middleware's), see kit.capture.capture_queries.
    `redact_params`: every output of the profile leaves param values out (Profile.redacted()).
    """
    check_threshold(threshold)
    if explain is not None and explain not in MODES:
        raise ValueError(f"explain must be one of {', '.join(MODES)}, not {explain!r}.")
    cache_aliases = resolve_cache_aliases(cache)
    with ExitStack() as stack:
        recorder = stack.enter_context(
            capture_queries(
                using,
                cap=cap,
                fingerprint=fingerprint,
                cell_filename=cell_filename,
                in_request=in_request,
                this_thread_only=this_thread_only,
            )
        )
        cache_recorder = None
        if cache_aliases:
            cache_recorder = stack.enter_context(
                capture_cache_calls(
                    cache_aliases,
                    cap=cap,
                    key_pattern=keys_pattern,
                    cell_filename=cell_filename,
                    started_at=recorder.started_at,
                )
            )
        result = Profile(
            started_at=datetime.now(UTC),
            name=name,
            cell=cell,
            cell_filename=cell_filename,
            max_rows=max_rows,
            rows_by=rows_by,
            threshold=threshold,
            redact_params=redact_params,
            _source=recorder,
            _cache_source=cache_recorder,
        )
        error = None
        start = perf_counter()
        try:
            yield result
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, KeyboardInterrupt):
                explain = None  # who interrupts wants control back, not more queries
            raise
        finally:
            result.finish((perf_counter() - start) * 1000.0, error)
            result.cell_numbers = cell_numbers(lambda: (q.source_file for q in result.queries))
            if explain is not None:
                _explain(result, explain, explain_options)


def _explain(result: Profile, mode: str, options: ExplainOptions | None) -> None:
    """Explain each query shape of a finished profile into its plans and explain errors."""
    explained = explain_records(result.queries, mode, options)
    result.plans, result.explain_errors = list(explained.plans), list(explained.errors)


@contextmanager
def attributed_to_line(result: Profile, line: int) -> Iterator[None]:
    """Attribute queries whose cell frame is not on the stack (display hooks) to `line`."""
    recorders = [
        r
        for r in (result._source, result._cache_source)
        if isinstance(r, QueryRecorder | CacheRecorder)
    ]
    for recorder in recorders:
        recorder.fallback_line = line
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.fallback_line = None
