"""Save a profile as versioned JSON and load it back (`p.save(path)`, `kit.load(path)`)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from kit.capture.records import FingerprintCounter, QueryRecord
from kit.errors import ProfileFormatError
from kit.render.profile import Profile

FORMAT = "django-orm-kit/profile"
VERSION = 1

_RECORD_FIELDS = (
    "id", "alias", "vendor", "sql", "many", "start_ms", "duration_ms", "thread",
    "source_file", "source_lineno", "line", "entry", "error",
)  # fmt: skip
_COUNTER_FIELDS = ("alias", "fingerprint", "count", "total_ms", "max_ms")


def encode_value(value: Any) -> Any:
    """A query param as JSON that decode_value turns back into an equal value.

    JSON objects are always tagged ({"$tuple": [...]}), so a tag cannot be mistaken for data;
    a type the kit does not know is kept as its repr ({"$repr": ...}) and loads as that text.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    for tag, kind in _ISO_TYPES.items():
        if isinstance(value, kind):
            return {tag: value.isoformat()}  # type: ignore[attr-defined]
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal | uuid.UUID):
        return {f"${type(value).__name__.lower()}": str(value)}
    return {"$repr": repr(value)}


# datetime before date: a datetime is a date too.
_ISO_TYPES: dict[str, type] = {"$datetime": datetime, "$date": date, "$time": time}
_DECODERS: dict[str, Any] = {
    "$tuple": lambda v: tuple(decode_value(x) for x in v),
    "$dict": lambda v: {decode_value(k): decode_value(x) for k, x in v},
    "$bytes": lambda v: base64.b64decode(v),
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$timedelta": lambda v: timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "$decimal": Decimal,
    "$uuid": uuid.UUID,
    "$repr": str,
}


def decode_value(value: Any) -> Any:
    """The inverse of encode_value."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        ((tag, payload),) = value.items()
        if tag not in _DECODERS:
            raise ProfileFormatError(f"Unknown value tag {tag!r} in a saved profile.")
        return _DECODERS[tag](payload)
    return value


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as JSON-ready data, format and version first."""
    if not profile.finished:
        raise ValueError("A profile can be saved only after its block ends.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "started_at": profile.started_at.isoformat(),
        "name": profile.name,
        "cell": profile.cell,
        "cell_filename": profile.cell_filename,
        "max_rows": profile.max_rows,
        "error": profile.error,
        "query_count": profile.query_count,
        "db_time_ms": profile.db_time_ms,
        "wall_time_ms": profile.wall_time_ms,
        "queries": [
            {**{f: getattr(q, f) for f in _RECORD_FIELDS}, "params": encode_value(q.params)}
            for q in profile.queries
        ],
        "overflow": [{f: getattr(c, f) for f in _COUNTER_FIELDS} for c in profile.overflow],
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
    queries = [
        QueryRecord(**{f: q[f] for f in _RECORD_FIELDS}, params=decode_value(q["params"]))
        for q in data["queries"]
    ]
    return Profile(
        started_at=datetime.fromisoformat(data["started_at"]),
        name=data["name"],
        cell=data["cell"],
        cell_filename=data["cell_filename"],
        max_rows=data["max_rows"],
        error=data["error"],
        _queries=queries,
        _query_count=data["query_count"],
        _db_time_ms=data["db_time_ms"],
        _wall_time_ms=data["wall_time_ms"],
        _counters=[FingerprintCounter(**c) for c in data["overflow"]],
    )


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
