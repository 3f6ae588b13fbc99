"""Read a saved profile back (`kit.load(path)`): format and version checked first."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from kit.analysis.timings import RunTimes
from kit.analysis.verification import Verification
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.records import FingerprintCounter, QueryRecord
from kit.errors import ProfileFormatError
from kit.explain.plan import ExplainError, Plan
from kit.profiles.export import FIELDS, FORMAT, OPTIONAL_FIELDS, VERSION
from kit.profiles.jsondata import load, load_as
from kit.profiles.profile import Profile

# How to read the fields added after version 1 was first written (kit.profiles.export).
OPTIONAL_TYPES: dict[str, Any] = {
    "cell_numbers": dict[str, int],
    "runs": RunTimes | None,
    "rows_by": str,
    "verifications": list[Verification],
}


def profile_from_dict(data: dict[str, Any]) -> Profile:
    """A Profile from profile_to_dict's data; refuses other formats and versions."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProfileFormatError(f"Not a saved kit profile: its format is not {FORMAT!r}.")
    if data.get("version") != VERSION:
        raise ProfileFormatError(
            f"Saved profile version {data.get('version')!r} is not supported: this kit reads "
            f"version {VERSION}. Upgrade the kit (pip install -U django-orm-kit)."
        )
    try:
        profile = Profile.of_records(
            [load_as(q, QueryRecord) for q in data["queries"]],
            started_at=datetime.fromisoformat(data["started_at"]),
            wall_time_ms=data["wall_time_ms"],
            query_count=data["query_count"],
            db_time_ms=data["db_time_ms"],
            counters=[load_as(c, FingerprintCounter) for c in data["overflow"]],
            cache_calls=[load_as(c, CacheRecord) for c in data.get("cache_calls", [])],
            cache_call_count=data.get("cache_call_count"),
            cache_counters=[load_as(c, CacheCounter) for c in data.get("cache_overflow", [])],
            **{name: data[name] for name in FIELDS},
            **{
                name: load(data[name], OPTIONAL_TYPES[name])
                for name in OPTIONAL_FIELDS
                if name in data
            },
        )
        profile.plans = [load_as(p, Plan) for p in data["plans"]]
        profile.explain_errors = [load_as(e, ExplainError) for e in data["explain_errors"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileFormatError(
            f"A damaged saved profile: {type(exc).__name__}: {exc}."
        ) from None
    return profile


def load_profile(path: str | Path) -> Profile:
    """Read a profile saved by save_profile (or p.save)."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileFormatError(f"{source} is not a saved kit profile: {exc}.") from None
    return profile_from_dict(data)
