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
# Each tag: the JSON type its payload must have, and how to rebuild the value from it.
_DECODERS: dict[str, tuple[type, Any]] = {
    "$tuple": (list, tuple),
    "$dict": (list, dict),
    "$bytes": (str, lambda v: base64.b64decode(v, validate=True)),
    "$datetime": (str, datetime.fromisoformat),
    "$date": (str, date.fromisoformat),
    "$time": (str, time.fromisoformat),
    "$timedelta": (list, lambda v: timedelta(days=v[0], seconds=v[1], microseconds=v[2])),
    "$decimal": (str, Decimal),
    "$uuid": (str, uuid.UUID),
    "$repr": (str, str),
    "$redacted": (str, RedactedParams),
}
# Deeper params are no query's (kit.profiles.jsondata.MAX_DEPTH bounds the rest of a file).
MAX_VALUE_DEPTH = 50


def decode_value(value: Any, where: str = "params", depth: int = 0) -> Any:
    """The inverse of encode_value; ProfileFormatError for what encode_value never writes."""
    if depth > MAX_VALUE_DEPTH:
        raise format_error(where, f"nested deeper than {MAX_VALUE_DEPTH} levels")
    if isinstance(value, list):
        return [decode_value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise format_error(where, f"a tagged value has one key, not {len(value)}")
    ((tag, payload),) = value.items()
    if tag not in _DECODERS:
        raise format_error(where, f"unknown value tag {tag!r}")
    kind, rebuild = _DECODERS[tag]
    if not isinstance(payload, kind):
        raise format_error(where, f"{tag} holds {type(payload).__name__}, not {kind.__name__}")
    if tag == "$tuple":
        return tuple(decode_value(payload, where, depth + 1))
    if tag == "$dict":
        return _decode_dict(payload, where, depth)
    try:
        return rebuild(payload)
    # Each decoder's own complaint: base64, isoformat, timedelta's range, Decimal's syntax.
    except (ValueError, TypeError, IndexError, OverflowError, ArithmeticError) as exc:
        raise format_error(where, f"{tag} {type(exc).__name__}: {exc}") from None


def _decode_dict(pairs: Any, where: str, depth: int) -> dict[Any, Any]:
    result = {}
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise format_error(f"{where}[{i}]", "a $dict item is a [key, value] pair")
        key, item = (decode_value(v, f"{where}[{i}]", depth + 1) for v in pair)
        try:
            result[key] = item
        except TypeError:
            raise format_error(
                f"{where}[{i}]", f"a {type(key).__name__} cannot be a key"
            ) from None
    return result


def format_error(where: str, what: str) -> ProfileFormatError:
    """The one-line error for a value a saved profile cannot hold: where it is, what is wrong."""
    return ProfileFormatError(f"Not a valid saved kit profile: {where}: {what}.")
