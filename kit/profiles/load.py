"""Read a saved profile back (`kit.load(path)`): every malformed file is one ProfileFormatError.

A file is refused, with what is wrong and where, when it is over MAX_PROFILE_BYTES, is not
UTF-8 or not JSON (NaN and Infinity included), nests deeper than the loader's limit, holds an
integer of more than 4,300 digits (Python's own limit) or past 64 bits, has another format or
version, or holds a value of the wrong type anywhere (kit.profiles.jsondata checks each field
against its type hint), so nothing malformed loads to crash later when it is displayed. A
loaded profile is for display, comparison and budgets: the kit never runs SQL from it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from kit.analysis.groups import check_threshold
from kit.analysis.timings import RunTimes
from kit.analysis.verification import Verification
from kit.capture.cache_records import CacheCounter, CacheRecord
from kit.capture.records import FingerprintCounter, QueryRecord
from kit.errors import ProfileFormatError
from kit.explain.plan import ExplainError, Plan, finalize
from kit.profiles.export import FORMAT, VERSION
from kit.profiles.jsondata import load
from kit.profiles.jsonvalues import format_error
from kit.profiles.profile import Profile

# The largest file kit.load reads: a profile of 10,000 queries with plans is a few MB.
MAX_PROFILE_BYTES = 100 * 1024 * 1024
ROWS_BY = ("shape", "query")

# Each top-level field and its type; the optional ones (added within version 1) may be absent.
REQUIRED: dict[str, Any] = {
    "started_at": str,
    "wall_time_ms": float,
    "query_count": int,
    "db_time_ms": float,
    "name": str | None,
    "cell": str | None,
    "cell_filename": str | None,
    "max_rows": int,
    "error": str | None,
    "threshold": int,
    "queries": list[QueryRecord],
    "overflow": list[FingerprintCounter],
    "plans": list[Plan],
    "explain_errors": list[ExplainError],
}
OPTIONAL: dict[str, Any] = {
    "cell_numbers": dict[str, int],
    "runs": RunTimes | None,
    "rows_by": str,
    "cache_calls": list[CacheRecord],
    "cache_call_count": int | None,
    "cache_overflow": list[CacheCounter],
    "verifications": list[Verification],
}


def profile_from_dict(data: Any) -> Profile:
    """A Profile from profile_to_dict's data; refuses other formats, versions and types."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProfileFormatError(f"Not a saved kit profile: its format is not {FORMAT!r}.")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise ProfileFormatError(
            f"Saved profile version {version!r} is not supported: this kit reads "
            f"version {VERSION}. Upgrade the kit (pip install -U django-orm-kit)."
        )
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise format_error(missing[0], "missing")
    fields = {name: load(data[name], hint, name) for name, hint in REQUIRED.items()}
    fields |= {
        name: load(data[name], hint, name) for name, hint in OPTIONAL.items() if name in data
    }
    _check(fields)
    plans, errors = fields.pop("plans"), fields.pop("explain_errors")
    profile = Profile.of_records(
        fields.pop("queries"),
        started_at=_started_at(fields.pop("started_at")),
        counters=fields.pop("overflow"),
        cache_counters=fields.pop("cache_overflow", []),
        **fields,
    )
    profile.plans, profile.explain_errors = plans, errors
    return profile


def _started_at(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise format_error("started_at", f"not a date and time: {text[:40]!r}") from None


def _check(fields: dict[str, Any]) -> None:
    """What the types alone do not say, and the renderers rely on."""
    for name in ("query_count", "max_rows", "cache_call_count"):
        if (fields.get(name) or 0) < 0:
            raise format_error(name, f"{fields[name]} is below 0")
    if fields["query_count"] < len(fields["queries"]):
        raise format_error("query_count", "fewer than the queries the file holds")
    count = fields.get("cache_call_count")
    if count is not None and count < len(fields.get("cache_calls", [])):
        raise format_error("cache_call_count", "fewer than the cache calls the file holds")
    try:
        check_threshold(fields["threshold"], "threshold")
    except ValueError as exc:
        raise format_error("threshold", str(exc).rstrip(".")) from None
    if fields.get("rows_by", "shape") not in ROWS_BY:
        raise format_error("rows_by", f"{fields['rows_by']!r} is not one of {ROWS_BY}")
    fields["plans"] = [
        _checked_plan(plan, f"plans[{i}]") for i, plan in enumerate(fields["plans"])
    ]


def _checked_plan(plan: Plan, where: str) -> Plan:
    """The plan with what finalize() derives (node ids, exclusive time and cost) derived
    again, not taken from the file; its findings must point at one of its nodes."""
    nodes = plan.nodes()
    for finding in plan.findings:
        if not 0 <= finding.node_id < len(nodes):
            raise format_error(where, f"a finding points at node {finding.node_id}, not in it")
    whatifs = tuple(
        dataclasses.replace(w, after=_checked_plan(w.after, f"{where}.whatifs[{n}].after"))
        if w.after is not None
        else w
        for n, w in enumerate(plan.whatifs)
    )
    return dataclasses.replace(plan, root=finalize(plan.root), whatifs=whatifs)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number a saved profile holds")


def load_profile(path: str | Path) -> Profile:
    """Read a profile saved by save_profile (or p.save); ProfileFormatError, one line saying
    what is wrong and where, for any file that is not one."""
    source = Path(path)
    with source.open("rb") as file:
        raw = file.read(MAX_PROFILE_BYTES + 1)
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileFormatError(
            f"{source} is larger than {MAX_PROFILE_BYTES // 2**20} MB, the most kit.load "
            "reads: it is not a saved kit profile."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileFormatError(
            f"{source} is not a saved kit profile: not UTF-8 at byte {exc.start}."
        ) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ProfileFormatError(
            f"{source} is not a saved kit profile: nested too deep."
        ) from None
    except ValueError as exc:  # JSONDecodeError; an integer of more than 4,300 digits
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProfileFormatError(f"{source} is not a saved kit profile: {first}.") from None
    return profile_from_dict(data)
