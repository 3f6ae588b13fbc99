"""Save a profile as versioned JSON (`p.save(path)`); kit.profiles.load reads it back.

Everything a profile shows is saved: each record (with its trigger, model and relation), the
counters past the record cap, the threshold its findings used, its EXPLAIN plans and its cache
calls, so a loaded profile renders, compares and budgets exactly like the one that was saved.
The cache calls were added within version 1: a file without them loads with none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.profiles.jsondata import dump

if TYPE_CHECKING:
    from kit.profiles.profile import Profile

FORMAT = "django-orm-kit/profile"
VERSION = 1
FIELDS = ("name", "cell", "cell_filename", "max_rows", "error", "threshold")
# Fields added after version 1 was first written: a file without them loads with the default.
OPTIONAL_FIELDS = ("cell_numbers", "runs", "rows_by", "verifications")


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as JSON-ready data, format and version first."""
    if not profile.finished:
        raise ValueError("A profile can be saved only after its block ends.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "started_at": profile.started_at.isoformat(),
        **{name: getattr(profile, name) for name in FIELDS},
        **{name: dump(getattr(profile, name)) for name in OPTIONAL_FIELDS},
        "query_count": profile.query_count,
        "db_time_ms": profile.db_time_ms,
        "wall_time_ms": profile.wall_time_ms,
        "queries": dump(profile.queries),
        "overflow": dump(profile.overflow),
        "plans": dump(profile.plans),
        "explain_errors": dump(profile.explain_errors),
        "cache_call_count": profile.cache_call_count,
        "cache_calls": dump(profile.cache_calls),
        "cache_overflow": dump(profile.cache_overflow),
    }


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write the profile to path as JSON; returns the path."""
    target = Path(path)
    target.write_text(json.dumps(profile_to_dict(profile), ensure_ascii=False), encoding="utf-8")
    return target
