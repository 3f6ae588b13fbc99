"""Frozen dataclasses (records, relations, plans) to JSON data and back, guided by their types.

The kit's values are plain frozen dataclasses whose fields are str, numbers, None, tuples of
those, nested dataclasses, or Any (query params, tagged by kit.render.jsonvalues). Their type
hints say how to rebuild each field, so a saved file carries no class names.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from kit.profiles.jsonvalues import decode_value, encode_value

T = TypeVar("T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def dump(value: Any) -> Any:
    """JSON-ready data for a dataclass instance, tuple or primitive (Any fields are tagged)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        return {
            f.name: encode_value(getattr(value, f.name))
            if hints[f.name] is Any
            else dump(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [dump(v) for v in value]
    return value


def load(data: Any, hint: Any) -> Any:
    """The value of type `hint` that dump() turned into data."""
    if hint is Any:
        return decode_value(data)
    origin = get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        if data is None:
            return None
        (kind,) = [a for a in get_args(hint) if a is not type(None)]
        return load(data, kind)
    if origin is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(load(item, args[0]) for item in data)
        return tuple(load(item, kind) for item, kind in zip(data, args, strict=True))
    if origin is list:
        (kind,) = get_args(hint)
        return [load(item, kind) for item in data]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        names = {f.name for f in dataclasses.fields(hint) if f.init}
        return hint(**{k: load(v, hints[k]) for k, v in data.items() if k in names})
    if hint is float and isinstance(data, int):
        return float(data)
    return data


def load_as(data: Any, cls: type[T]) -> T:
    """load() for a dataclass type, typed for the caller."""
    return typing.cast(T, load(data, cls))
