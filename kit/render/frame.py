"""The profile's queries and cache calls as pandas DataFrames (pandas imported when asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kit.analysis.cache_keys import keys_pattern
from kit.analysis.fingerprint import sql_shape
from kit.capture.cache_records import CacheRecord
from kit.capture.records import QueryRecord

if TYPE_CHECKING:
    import pandas as pd

    from kit.profiles.profile import Profile

COLUMNS = (
    "start_ms",
    "duration_ms",
    "alias",
    "vendor",
    "kind",
    "tables",
    "fingerprint",
    "trigger",
    "model",
    "relation",
    "relation_kind",
    "n_plus_one_group",
    "duplicate_group",
    "line",
    "source",
    "entry",
    "thread",
    "sql",
    "params",
    "error",
    "template",
    "template_code",
    "serializer",
    "admin",
    "view",
    "execution",
)


def queries_dataframe(profile: Profile) -> pd.DataFrame:
    """One row per recorded query, indexed by its number in the query table (from 1).

    n_plus_one_group and duplicate_group number the profile's groups from 1 (empty: none).
    """
    import pandas as pd

    analysis = profile.analysis
    n_plus_one = {i: n for n, g in enumerate(analysis.n_plus_one, 1) for i in g.record_ids}
    duplicate = {i: n for n, g in enumerate(analysis.duplicates, 1) for i in g.record_ids}
    queries = profile.queries
    rows = [_row(r, n_plus_one.get(r.id), duplicate.get(r.id)) for r in queries]
    index = pd.Index([record.id + 1 for record in queries], name="query")
    frame = pd.DataFrame(rows, columns=list(COLUMNS), index=index)
    # Nullable integers: a missing group or line stays empty instead of turning floats.
    return frame.astype({"n_plus_one_group": "Int64", "duplicate_group": "Int64", "line": "Int64"})


def _row(record: QueryRecord, n_plus_one: int | None, duplicate: int | None) -> tuple[Any, ...]:
    """One DataFrame row, in COLUMNS order."""
    shape = sql_shape(record.sql)
    relation = record.relation
    return (
        record.start_ms,
        record.duration_ms,
        record.alias,
        record.vendor,
        shape.kind,
        shape.tables,
        shape.fingerprint,
        record.trigger,
        record.model,
        str(relation) if relation else None,
        relation.kind if relation else None,
        n_plus_one,
        duplicate,
        record.line,
        record.source,
        record.entry,
        record.thread,
        record.sql,
        record.params,
        record.error,
        record.template,
        record.template_code,
        record.serializer,
        record.admin,
        record.view.name if record.view else None,
        record.execution,
    )


CACHE_COLUMNS = (
    "start_ms",
    "duration_ms",
    "alias",
    "backend",
    "op",
    "pattern",
    "keys",
    "versioned_keys",
    "hit",
    "hits",
    "misses",
    "line",
    "source",
    "entry",
    "thread",
    "fragment",
    "view",
    "request",
    "request_number",
    "vary_on",
    "error",
)


def cache_dataframe(profile: Profile) -> pd.DataFrame:
    """One row per recorded cache call, indexed by its number (from 1); hit is per key (a
    tuple) for reads and empty otherwise, hits and misses count the keys."""
    import pandas as pd

    calls = profile.cache_calls
    index = pd.Index([call.id + 1 for call in calls], name="call")
    frame = pd.DataFrame([_cache_row(c) for c in calls], columns=list(CACHE_COLUMNS), index=index)
    return frame.astype({"line": "Int64", "request_number": "Int64"})


def _cache_row(call: CacheRecord) -> tuple[Any, ...]:
    """One DataFrame row, in CACHE_COLUMNS order."""
    return (
        call.start_ms,
        call.duration_ms,
        call.alias,
        call.backend,
        call.op,
        keys_pattern(call.keys),
        call.keys,
        call.versioned_keys,
        call.hit,
        call.hits,
        call.misses,
        call.line,
        call.source,
        call.entry,
        call.thread,
        call.fragment,
        call.view,
        call.request,
        call.request_number,
        call.vary_on,
        call.error,
    )
