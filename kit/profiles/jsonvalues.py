"""Query params as JSON that loads back with its types: tuples, bytes, dates, Decimal, UUID."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kit.analysis.redaction import RedactedParams
from kit.errors import ProfileFormatError


def encode_value(value: Any) -> Any:
    """A query param as JSON that decode_value turns back into an equal value.

    JSON objects are always tagged ({"$tuple": [...]}), so a tag cannot be mistaken for data;
    a type the kit does not know is kept as its repr ({"$repr": ...}) and loads as that text.
    """
    if isinstance(value, RedactedParams):  # before str: it loads back as a stand-in
        return {"$redacted": str(value)}
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
    "$redacted": RedactedParams,
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
