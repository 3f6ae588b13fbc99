"""Save a profile as versioned JSON and load it back (`p.save(path)`, `kit.load(path)`).

Everything a profile shows is saved: each record (with its trigger, model and relation), the
counters past the record cap, the threshold its findings used, and its EXPLAIN plans, so a
loaded profile renders, compares and budgets exactly like the one that was saved.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from kit.capture.records import FingerprintCounter, QueryRecord
from kit.errors import ProfileFormatError
from kit.explain.plan import ExplainError, Plan
from kit.render.jsondata import dump, load_as
from kit.render.profile import Profile

FORMAT = "django-orm-kit/profile"
VERSION = 1
_FIELDS = ("name", "cell", "cell_filename", "max_rows", "error", "threshold")


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as JSON-ready data, format and version first."""
    if not profile.finished:
        raise ValueError("A profile can be saved only after its block ends.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "started_at": profile.started_at.isoformat(),
        **{name: getattr(profile, name) for name in _FIELDS},
        "query_count": profile.query_count,
        "db_time_ms": profile.db_time_ms,
        "wall_time_ms": profile.wall_time_ms,
        "queries": dump(profile.queries),
        "overflow": dump(profile.overflow),
        "plans": dump(profile.plans),
        "explain_errors": dump(profile.explain_errors),
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
            **{name: data[name] for name in _FIELDS},
        )
        profile.plans = [load_as(p, Plan) for p in data["plans"]]
        profile.explain_errors = [load_as(e, ExplainError) for e in data["explain_errors"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileFormatError(
            f"A damaged saved profile: {type(exc).__name__}: {exc}."
        ) from None
    return profile


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write the profile to path as JSON; returns the path."""
    target = Path(path)
    target.write_text(json.dumps(profile_to_dict(profile), ensure_ascii=False), encoding="utf-8")
    return target


def load_profile(path: str | Path) -> Profile:
    """Read a profile saved by save_profile (or p.save)."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileFormatError(f"{source} is not a saved kit profile: {exc}.") from None
    return profile_from_dict(data)
